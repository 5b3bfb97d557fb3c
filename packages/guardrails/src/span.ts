/** One finding inside a string: [start, end) in UTF-16 code units. */
export interface Span {
  detector: string;
  start: number;
  end: number;
}
