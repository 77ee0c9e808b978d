/**
 * The offline drafter's email sequence: a three-email plan ("Sequence") and each email written out as
 * copy ("Email 1" …), for stacks that ask for them. Everything comes from the inputs (event, audience,
 * region, offer) and the lessons; nothing is invented beyond plain, checkable statements.
 */
import { capitalize, truncate } from "./textMeasures.ts";

export interface EmailFacts {
  /** The event as given, e.g. "Midwest Builders Expo 2027, Chicago, March 9-11". */
  event: string;
  audience: string | undefined;
  region: string | undefined;
  offer: string | undefined;
  /** Subject-line cap in characters. */
  subjectCap: number;
  /** The brand voice input, when given. */
  voice: string | undefined;
  /** A lesson asked for GDPR: every footer carries the consent and data-rights line. */
  gdpr: boolean;
}

interface Step {
  n: number;
  send: string;
  name: string;
  message: (f: EmailFacts) => string;
  angle: string;
  subjects: (short: string) => string[];
}

const STEPS: Step[] = [
  {
    n: 1,
    send: "T−21 days, Tuesday 10:00",
    name: "Save the date",
    message: (f) => `We will be at ${shortName(f)}; put a meeting with us in the calendar now`,
    angle: "the date and the place",
    subjects: (s) => [`${s}: save the date`, `See you at ${s}?`, `Meet us at ${s}`],
  },
  {
    n: 2,
    send: "T−10 days, Wednesday 09:30",
    name: "Reason to visit",
    message: () => "Bring your hardest questions on cost, roll-out and support; leave with straight answers",
    angle: "a practical takeaway",
    subjects: (s) => [
      `What to ask us at ${s}`,
      `20 minutes at ${s}, well spent`,
      `Your questions, our answers`,
    ],
  },
  {
    n: 3,
    send: "T−2 days, Monday 08:30",
    name: "Last call",
    message: () => "The last meeting slots are going; book one or ask for a follow-up after the show",
    angle: "few slots left",
    subjects: (s) => [`Last meeting slots at ${s}`, `${s} starts soon`, "Last call: meeting slots"],
  },
];

/** The event's name without its city and dates: "Midwest Builders Expo 2027". */
function shortName(f: EmailFacts): string {
  return (f.event.split(",")[0] ?? f.event).trim();
}

/** Where and when, after the name: "Chicago, March 9-11", or "". */
function whereWhen(f: EmailFacts): string {
  return f.event.split(",").slice(1).join(",").trim();
}

function callToAction(f: EmailFacts): string {
  return capitalize((f.offer ?? "book a meeting with our team").replace(/\.$/, ""));
}

function subjectsFor(step: Step, f: EmailFacts): string[] {
  const all = step.subjects(shortName(f));
  const fitting = all.filter((s) => s.length <= f.subjectCap);
  return (fitting.length >= 2 ? fitting : all.map((s) => truncate(s, f.subjectCap))).slice(0, 2);
}

/** The "Sequence" section: one row per email with its send time, message, subject angle and action. */
export function sequenceSection(f: EmailFacts): string {
  const zone = f.region ? `recipients' local time (${f.region})` : "recipients' local time";
  return [
    `Three emails to ${f.audience ?? "the invited segments"} ahead of ${f.event}, each with one message and one action. Send times are in the ${zone}, inside business hours.`,
    "",
    "| Email | Send | Purpose | Message | Subject angle | Call to action |",
    "|---|---|---|---|---|---|",
    ...STEPS.map(
      (s) => `| ${s.n} | ${s.send} | ${s.name} | ${s.message(f)} | ${s.angle} | ${callToAction(f)} |`,
    ),
    "",
    "Every email carries an unsubscribe link and the sender's postal address (CAN-SPAM)" +
      (f.gdpr ? ", and the GDPR consent and data-rights line." : "."),
    ...(f.voice ? ["", `Voice for every email, as the brand asked: ${f.voice}.`] : []),
  ].join("\n");
}

function bodyOf(step: Step, f: EmailFacts): string[] {
  const short = shortName(f);
  const place = whereWhen(f);
  const who = f.audience ?? "your team";
  switch (step.n) {
    case 1:
      return [
        `We will be at ${short}${place ? ` (${place})` : ""}, and we would like to meet the team at [Company] there.`,
        "",
        `${callToAction(f)}: twenty minutes on the questions ${who} bring us most, with no slides and no sales script.`,
        "",
        "Pick a time now and it lands in your calendar with directions to the booth.",
      ];
    case 2:
      return [
        `Before ${short}, a thought on making the visit count for [Company].`,
        "",
        "Bring the questions that decide a purchase: what it costs to run, how long it takes to roll out, and who supports it afterwards. We will bring straight answers and the people who can give them.",
        "",
        `${callToAction(f)} and choose the day that suits your show schedule.`,
      ];
    default:
      return [
        `${short} opens in two days${place ? ` in ${place.split(",")[0]}` : ""}, and a few meeting slots are still open.`,
        "",
        `If a conversation with us is on your list, ${(f.offer ?? "book a meeting").replace(/\.$/, "")} today. If the timing is wrong, reply to this email and we will follow up after the show instead.`,
      ];
  }
}

/** "Email N" written out: send time, two subject lines, preview, body, one call to action and the footer. */
export function emailSection(n: number, f: EmailFacts): string | undefined {
  const step = STEPS.find((s) => s.n === n);
  if (!step) return undefined;
  const [first, second] = subjectsFor(step, f);
  const footer = [
    "You are receiving this because you asked to hear from [Company]. Unsubscribe: {{unsubscribe_link}} · {{company_postal_address}}",
    ...(f.gdpr
      ? [
          "We hold your contact details with your consent under the GDPR; reply to see, correct or delete them at any time.",
        ]
      : []),
  ];
  return [
    `Send: ${step.send} (${step.name})`,
    `Subject: ${first}`,
    ...(second ? [`Alternative subject: ${second}`] : []),
    `Preview: ${truncate(step.message(f), 90)}`,
    "",
    "Hi [First Name],",
    "",
    ...bodyOf(step, f),
    "",
    `**${callToAction(f)} →** {{meeting_link}}`,
    "",
    "{{sender_name}}, [Company]",
    "",
    ...footer.map((l) => `_${l}_`),
  ].join("\n");
}
