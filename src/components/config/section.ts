import { Problem, Settings } from '../../settings';

/** What every section of the configuration page gets. */
export interface SectionProps {
  options: Settings;
  onOptionsChange: (s: Settings) => void;
}

/** The message of the problem shown for a field, if any. */
export type ProblemFor = (field: Problem['field']) => string | undefined;

export const LABEL_WIDTH = 28;

/**
 * The width of the authentication section, which the URL field matches so
 * the page reads as one column.
 */
export const AUTH_SECTION_WIDTH = 578;
