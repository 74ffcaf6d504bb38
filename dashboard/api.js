// The operator API as the page reads it: same origin, JSON both ways.

/** A refusal from the API: its one-line message, status and, for a profile, the message per attribute. */
export class ApiError extends Error {
  constructor(status, message, fields) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fields = fields;
  }
}

export async function api(path, init = {}) {
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  const response = await fetch(path, { ...init, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error ?? `${response.status} ${response.statusText}`, body?.fields);
  return body;
}

export const printerPath = (id) => `api/printers/${encodeURIComponent(id)}`;

/** POSTs `body` as JSON. */
export const post = (path, body, method = 'POST') => api(path, { method, body: JSON.stringify(body) });
