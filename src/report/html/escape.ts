// Escaping for the HTML report. Everything in it that a user wrote (study, space and
// dataset names, parameter names and values, layer names, error messages) reaches the
// page through one of these three functions, so a name containing `<script>` or quotes is
// shown as text and runs nothing.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an HTML element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON to embed in `<script type="application/json">`. The HTML parser ends a script
 * element at the first `</script` whatever JSON thinks of it, and `<!--` changes how it
 * scans, so `<`, `>` and `&` are written as \u escapes (JSON.parse reads them back
 * unchanged). U+2028/U+2029 are valid in JSON strings but were line terminators in JS
 * before ES2019; escaping them keeps the data safe to paste into any script. These
 * characters can only occur inside JSON strings, so replacing them never touches syntax.
 *
 * NaN and ±Infinity become the strings "NaN", "Infinity", "-Infinity" (as in
 * `report --format json`): JSON.stringify would write null, and an exploding loss must
 * not look like a missing one.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Source code inlined in a `<script>` element (the charting library, the page's own
 * script). Such code must not contain `</script`, or the HTML parser would cut it there;
 * `<\/script` means the same inside a JS string, template or regex, which is the only
 * place it can occur in valid code. Checked rather than assumed: a future echarts build
 * could contain it.
 */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}
