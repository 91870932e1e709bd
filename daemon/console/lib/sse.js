// A pure parser of the text/event-stream format (HTML Living Standard,
// "Server-sent events", section "Parsing an event stream"), fed incrementally:
//
//   const parser = new SseParser();
//   for each decoded text chunk:  for (const e of parser.push(chunk)) ...   // e: {type, data, id}
//
// push() returns the events completed by the chunk and keeps the rest (a
// partial line, the fields of an event not yet ended by a blank line).
// Rules kept: lines end with CRLF, LF or CR (a CRLF may be split across
// chunks); one leading U+FEFF (BOM) of the stream is dropped; a line starting
// with ":" is a comment; "field: value" loses one space after the colon, a
// line without a colon is a field with an empty value; fields event, data
// (several lines joined by "\n"), id (ignored if it holds U+0000; it stays
// the last event id for later events until another id field) and retry
// (ASCII digits only; kept in parser.retry); unknown fields are ignored; a
// blank line dispatches: nothing when no data field came, the type
// "message" when no event field came. An event left unfinished at the end
// of the stream is dropped (the standard's rule): end() returns nothing and
// resets the parser for a new stream, keeping lastEventId for a resume.
// `comments` counts comment lines (keep-alives), for a caller that watches
// the stream's liveness.

const LINE_END = /\r\n|\r|\n/g;

export class SseParser {
  constructor() {
    this.lastEventId = '';
    this.retry = null;
    this.comments = 0;
    this.#reset();
  }

  #rest = '';
  #pieces = [];
  #atStart = true;      // before the stream's first character (where a BOM may be)
  #skipLeadingLF = false;  // the last chunk ended in CR: an LF first in the next ends the same line
  #data = '';
  #hasData = false;
  #type = '';
  #id = '';

  #reset() {
    this.#rest = '';
    this.#pieces = [];
    this.#atStart = true;
    this.#skipLeadingLF = false;
    this.#data = '';
    this.#hasData = false;
    this.#type = '';
    this.#id = this.lastEventId;
  }

  // Takes the next chunk of decoded text; returns the events it completed.
  push(chunk) {
    let text = String(chunk);
    if (text.length === 0) return [];
    if (this.#atStart) {
      this.#atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#skipLeadingLF && text.length > 0) {
      this.#skipLeadingLF = false;
      if (text.charCodeAt(0) === 0x0a) text = text.slice(1);
    }
    if (!/[\r\n]/.test(text)) {  // no line ends yet: kept in pieces, joined once (linear in a long line)
      if (text.length) this.#pieces.push(text);
      return [];
    }
    const events = [];
    const rest = this.#pieces.length ? this.#rest + this.#pieces.join('') : this.#rest;
    this.#pieces = [];
    const buffer = rest + text;
    LINE_END.lastIndex = rest.length;  // the kept rest holds no line end
    let start = 0;
    for (let m = LINE_END.exec(buffer); m; m = LINE_END.exec(buffer)) {
      this.#line(buffer.slice(start, m.index), events);
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === buffer.length) this.#skipLeadingLF = true;
    }
    this.#rest = buffer.slice(start);
    return events;
  }

  // The stream ended: an unfinished event is dropped (returns []), and the
  // parser is ready for a new stream (a reconnect).
  end() {
    this.#reset();
    return [];
  }

  #line(line, events) {
    if (line.length === 0) {
      this.#dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 0x3a) {  // ':' comment
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data += value + '\n';
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.#id = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;  // ignored
    }
  }

  #dispatch(events) {
    this.lastEventId = this.#id;
    if (!this.#hasData) {
      this.#type = '';
      this.#data = '';
      return;
    }
    const data = this.#data.endsWith('\n') ? this.#data.slice(0, -1) : this.#data;
    events.push({ type: this.#type || 'message', data, id: this.lastEventId });
    this.#type = '';
    this.#data = '';
    this.#hasData = false;
  }
}

// Parses a whole stream at once (tests, small bodies).
export function parseEventStream(text) {
  return new SseParser().push(text);
}
