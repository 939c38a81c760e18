// Only letters and digits pass; anything else, "-" included, is written as
// _hex_, so "-" can separate the parts of an id and no two fields of two
// queries ever get the same one.
const idPart = (s: string) => s.replace(/[^A-Za-z0-9]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`);

/**
 * Element ids of one editor: unique per editor kind (prefix) and query, so
 * the labels of query A never point into query B, nor into an annotation
 * or variable editor open on the same page.
 */
export function editorIds(refId: string, prefix = '') {
  const q = idPart(refId);
  const p = prefix === '' ? '' : `${prefix}-`;
  return {
    metric: `${p}metric-${q}`,
    legend: `${p}legend-${q}`,
    payloadText: `${p}payload-text-${q}`,
    payload: (name: string) => `${p}payload-${q}-${idPart(name)}`,
    /** Any other control, by name. */
    control: (name: string) => `${p}${idPart(name)}-${q}`,
  };
}

export type EditorIds = ReturnType<typeof editorIds>;
