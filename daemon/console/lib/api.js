// The console's one door to kdad: the public HTTP API under /api/v1, with the
// signed-in token as a bearer header (never a cookie, so no CSRF) and the
// shell's chosen customer as ?customer= on every request.
//
//   const api = new Api({token, customer: () => ctx.customer, onUnauthorized: (err) => signOut(err)});
//   await api.get('/devices', {state: 'Unassigned', page_size: 100});
//   api.post(path, body, params)  api.patch(path, body, params)  api.del(path, params)
//   api.upload(path, csvText, params)   POST text/csv          api.blob(path, params) -> Blob
// path is relative to /api/v1; the caller encodes path segments (encodeURIComponent).
// params: undefined/null values are left out, arrays repeat the key; params.customer (even "")
// overrides the shell's customer, params.customer = null leaves it out.
// A refusal throws ApiError; a 401 also calls onUnauthorized first (the shell signs out).

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor({ status = 0, code, title = '', detail = '', errors, instance } = {}) {
    super(detail || title || (status ? `HTTP ${status}` : 'request failed'));
    this.name = 'ApiError';
    this.status = status;
    this.code = code && typeof code === 'object' ? code : { category: '', value: 0 };
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(errors) ? errors : undefined;
    this.instance = instance;
  }
}

// The query string of a request: `params` merged with the shell's customer.
export function queryString(params, customer) {
  const q = new URLSearchParams();
  const own = params && Object.prototype.hasOwnProperty.call(params, 'customer');
  if (!own && customer !== null && customer !== undefined) q.append('customer', String(customer));
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== undefined && v !== null) q.append(key, String(v));
    } else {
      q.append(key, String(value));
    }
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function apiUrl(path, params, customer) {
  const p = path.startsWith('/') ? path : `/${path}`;
  return `${API_BASE}${p}${queryString(params, customer)}`;
}

// A refusal's problem document (RFC 9457) as an ApiError; a body that is not
// one (a proxy's page, nothing) still gives the status.
export async function problemFrom(response) {
  let doc = {};
  const type = response.headers.get('Content-Type') || '';
  try {
    if (/json/i.test(type)) doc = await response.json();
    else {
      const text = (await response.text()).trim();
      if (text && text.length < 300) doc = { detail: text };
    }
  } catch {
    doc = {};
  }
  if (!doc || typeof doc !== 'object') doc = {};
  return new ApiError({
    status: response.status,
    code: doc.code,
    title: doc.title || response.statusText || '',
    detail: doc.detail || '',
    errors: doc.errors,
    instance: doc.instance,
  });
}

export class Api {
  // token: the bearer secret. customer: () => the shell's customer (null: none).
  // onUnauthorized(err): called on any 401 before the ApiError is thrown.
  constructor({ token, customer = () => null, onUnauthorized = () => {}, fetch: fetchImpl } = {}) {
    this.token = token;
    this.customer = customer;
    this.onUnauthorized = onUnauthorized;
    this.fetch = fetchImpl || ((...args) => globalThis.fetch(...args));
  }

  url(path, params) {
    return apiUrl(path, params, this.customer());
  }

  async request(method, path, { params, body, contentType, accept = 'application/json', as = 'json', signal } = {}) {
    const headers = { Accept: accept };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let payload;
    if (body !== undefined) {
      if (contentType) {
        payload = body;
        headers['Content-Type'] = contentType;
      } else {
        payload = JSON.stringify(body);
        headers['Content-Type'] = 'application/json';
      }
    }
    const response = await this.fetch(this.url(path, params), {
      method, headers, body: payload, cache: 'no-store', credentials: 'omit', redirect: 'error', signal,
    });
    if (!response.ok) {
      const err = await problemFrom(response);
      if (response.status === 401) {
        try { this.onUnauthorized(err); } catch { /* the shell's business */ }
      }
      throw err;
    }
    if (as === 'blob') return response.blob();
    if (as === 'text') return response.text();
    const text = await response.text();
    if (!text.trim()) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError({ status: response.status, title: 'unreadable answer', detail: 'kdad answered something that is not JSON' });
    }
  }

  get(path, params, options = {}) { return this.request('GET', path, { ...options, params }); }
  post(path, body, params, options = {}) { return this.request('POST', path, { ...options, params, body: body === undefined ? {} : body }); }
  patch(path, body, params, options = {}) { return this.request('PATCH', path, { ...options, params, body: body === undefined ? {} : body }); }
  put(path, body, params, options = {}) { return this.request('PUT', path, { ...options, params, body: body === undefined ? {} : body }); }
  del(path, params, options = {}) { return this.request('DELETE', path, { ...options, params }); }
  upload(path, csvText, params, options = {}) {
    return this.request('POST', path, { ...options, params, body: csvText, contentType: 'text/csv' });
  }
  blob(path, params, options = {}) {
    return this.request('GET', path, { accept: '*/*', ...options, params, as: 'blob' });
  }
  text(path, params, options = {}) {
    return this.request('GET', path, { accept: 'text/csv, text/plain, */*', ...options, params, as: 'text' });
  }
}
