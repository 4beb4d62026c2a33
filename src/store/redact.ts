// A store URL's password never reaches the screen, a log, a stored study or a report.

/** postgresql://tuner:secret@host/db → postgresql://tuner:***@host/db (also in text that quotes it). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i, '$1:***@').replace(/([?&](password|sslpassword)=)[^&\s]*/gi, '$1***');
}

/** Replaces every occurrence of `secret` in `text` (driver messages may quote it). */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
