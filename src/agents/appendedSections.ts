/**
 * Text the system adds to a draft that is not the draft's own copy: the offline drafter's label and
 * header lines, and the sections listing the inputs, the upstream drafts and the lessons it was given.
 * The evaluator removes all of it before judging (judgedText), so a run can never score on an echo of
 * its own goal, inputs or lesson list. The drafter and the evaluator share these names from here.
 */

/** Section titles (`## …`) the system appends; compared case-insensitively. */
export const APPENDED_SECTIONS = ["Applied lessons", "Inputs used", "Built on"] as const;

/** Whole lines the offline drafter writes above its sections: its label and the persona/goal echo. */
export const APPENDED_LINES: readonly RegExp[] = [
  /^> Draft by the offline provider\b.*$/,
  /^\*\*Persona:\*\* .*$/,
  /^\*\*Goal:\*\* .*$/,
];
