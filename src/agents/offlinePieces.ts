/**
 * The offline drafter's channel pieces for a campaign ("Pieces"): for each owned channel given, a piece
 * ready to publish, with headline, body, call to action, image brief with alt text and a tracked link,
 * the key message word for word in each. Built only from the inputs.
 */
import { capitalize, truncate } from "./textMeasures.ts";

export interface PieceFacts {
  campaign: string;
  keyMessage: string;
  channels: string[];
  utmCampaign: string;
  launch: string | undefined;
}

function slug(channel: string): string {
  return channel
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

/** The campaign's name: what comes before a colon, e.g. "Spring safety week". */
function name(f: PieceFacts): string {
  return (f.campaign.split(":")[0] ?? f.campaign).trim();
}

function piece(channel: string, f: PieceFacts): string[] {
  const link = `https://example.com/${slug(name(f))}?utm_source=${slug(channel)}&utm_medium=owned&utm_campaign=${encodeURIComponent(f.utmCampaign)}`;
  const c = channel.toLowerCase();
  const about = (f.campaign.split(":").slice(1).join(":").trim() || f.campaign).replace(/\.$/, "");
  const image = [
    `Image brief: one photo of the message in practice (${truncate(f.keyMessage.replace(/\.$/, "").toLowerCase(), 80)}), real people at work, no stock poses.`,
    `Alt text: "${truncate(f.keyMessage, 110)}"`,
  ];
  if (/mail|newsletter/.test(c)) {
    return [
      `Subject: ${truncate(`${name(f)} starts now`, 50)}`,
      `Preview: ${truncate(f.keyMessage, 90)}`,
      "",
      "Hi [First Name],",
      "",
      `${f.keyMessage} ${capitalize(about)}: the full post has the details.`,
      "",
      `Call to action: Read the post → ${link}`,
      ...image,
      "Footer: unsubscribe link and our postal address, as in every newsletter.",
    ];
  }
  if (/banner|website|site/.test(c)) {
    return [`Headline: ${name(f)}`, `Subline: ${f.keyMessage}`, `Button: Read more → ${link}`, ...image];
  }
  if (/linkedin|social|facebook|twitter|instagram/.test(c)) {
    return [
      `Post: ${capitalize(name(f))} starts now. ${f.keyMessage} ${capitalize(about)}: read the full post.`,
      `Call to action: Read the post → ${link}`,
      ...image,
    ];
  }
  return [
    `Headline: ${name(f)}: ${truncate(f.keyMessage.replace(/\.$/, ""), 70)}`,
    `Body: ${f.keyMessage} ${capitalize(about)}.${f.launch ? ` Live ${f.launch}.` : ""}`,
    `Call to action: Read more → ${link}`,
    ...image,
  ];
}

/** The "Pieces" section body: one sub-heading per channel. */
export function piecesSection(f: PieceFacts): string {
  return f.channels
    .flatMap((ch) => [`### ${capitalize(ch)}`, "", ...piece(ch, f), ""])
    .join("\n")
    .trim();
}
