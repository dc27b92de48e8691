// Owns the XML of the MQ HTTP protocol: a small strict parser for the two request documents
// (<Message>, <ReceiptHandles>) and the writers of every response document. Hand-written: the
// schemas are two levels deep, and a parser that refuses DTDs and entity tricks is ~150 lines.
// Namespaces are ignored (Java omits the trailing '/'); elements are matched by local name.
// Responses carry no attributes below the root: the Node SDK crashes on them (spec §7).
import { MqHttpError } from './errors.js';

export const MQ_NAMESPACE = 'http://mq.aliyuncs.com/doc/v1/';
const MAX_DEPTH = 16;

export interface XmlElement {
  /** Local name (namespace prefix removed). */
  name: string;
  children: XmlElement[];
  /** Direct character data and CDATA, concatenated, entities decoded. */
  text: string;
}

function malformed(detail: string): MqHttpError {
  return new MqHttpError('MalformedXML', `the XML you provided was not well-formed: ${detail}`);
}

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const XML_SPACE = /[ \t\r\n]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw: string): string {
  if (raw.includes(']]>')) throw malformed("']]>' may not appear in character data");
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = raw.indexOf('&', i);
    if (amp < 0) return out + raw.slice(i);
    const semi = raw.indexOf(';', amp);
    if (semi < 0) throw malformed("'&' must start an entity reference such as &amp;");
    const ref = raw.slice(amp + 1, semi);
    let ch: string | undefined = PREDEFINED[ref];
    if (ch === undefined && /^#[0-9]{1,7}$/.test(ref)) ch = fromCodePoint(Number(ref.slice(1)));
    else if (ch === undefined && /^#x[0-9a-fA-F]{1,6}$/.test(ref)) ch = fromCodePoint(parseInt(ref.slice(2), 16));
    if (ch === undefined) throw malformed(`unknown entity &${ref.slice(0, 20)};`);
    out += raw.slice(i, amp) + ch;
    i = semi + 1;
  }
}

/** A character reference's character, if XML 1.0 has it (Char: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF). */
function fromCodePoint(cp: number): string | undefined {
  const isChar = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
  return isChar ? String.fromCodePoint(cp) : undefined;
}

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  document(): XmlElement {
    if (this.src.startsWith('\uFEFF')) this.pos = 1;
    this.misc();
    if (this.src[this.pos] !== '<') throw malformed(this.pos >= this.src.length ? 'the document is empty' : 'text before the root element');
    const root = this.element(0);
    this.misc();
    if (this.pos < this.src.length) throw malformed('content after the root element');
    return root;
  }

  /** Whitespace, comments and processing instructions (incl. the XML declaration). */
  private misc(): void {
    for (;;) {
      this.spaces();
      if (this.src.startsWith('<?', this.pos)) this.skipPast('?>', 'processing instruction');
      else if (this.src.startsWith('<!--', this.pos)) this.comment();
      else if (this.src.startsWith('<!', this.pos)) throw malformed('DTDs and declarations are not accepted');
      else return;
    }
  }

  private skipPast(end: string, what: string): void {
    const at = this.src.indexOf(end, this.pos);
    if (at < 0) throw malformed(`unterminated ${what}`);
    this.pos = at + end.length;
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.src);
    if (!m) throw malformed(`expected a name at offset ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  /** XML whitespace: space, tab, CR, LF only (not U+FEFF or other Unicode spaces). */
  private spaces(): void {
    while (this.pos < this.src.length && XML_SPACE.test(this.src[this.pos]!)) this.pos++;
  }

  /** `<!-- ... -->`, whose text may not contain `--` nor end with `-`. */
  private comment(): void {
    const start = this.pos + 4;
    const end = this.src.indexOf('--', start);
    if (end < 0 || this.src[end + 2] !== '>') throw malformed(end < 0 ? 'unterminated comment' : "'--' may not appear inside a comment");
    this.pos = end + 3;
  }

  private element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) throw malformed(`elements nest deeper than ${MAX_DEPTH} levels`);
    this.pos++; // '<'
    const qname = this.name();
    const el: XmlElement = { name: qname.slice(qname.lastIndexOf(':') + 1), children: [], text: '' };
    // Attributes (only xmlns matters to anyone, and we ignore namespaces): checked, then skipped.
    const attributes = new Set<string>();
    for (;;) {
      this.spaces();
      if (this.src.startsWith('/>', this.pos)) {
        this.pos += 2;
        return el;
      }
      if (this.src[this.pos] === '>') {
        this.pos++;
        break;
      }
      const attribute = this.name();
      if (attributes.has(attribute)) throw malformed(`attribute ${attribute} appears twice in <${qname}>`);
      attributes.add(attribute);
      this.spaces();
      if (this.src[this.pos] !== '=') throw malformed(`attribute of <${qname}> without a value`);
      this.pos++;
      this.spaces();
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") throw malformed(`attribute value of <${qname}> must be quoted`);
      const close = this.src.indexOf(quote, this.pos + 1);
      if (close < 0 || this.src.slice(this.pos + 1, close).includes('<')) throw malformed(`bad attribute value in <${qname}>`);
      decodeText(this.src.slice(this.pos + 1, close)); // its references must be ones XML has
      this.pos = close + 1;
      if (!/[ \t\r\n/>]/.test(this.src[this.pos] ?? '')) throw malformed(`attributes of <${qname}> must be separated by spaces`);
    }
    // Content.
    let text = '';
    for (;;) {
      if (this.pos >= this.src.length) throw malformed(`<${qname}> is not closed`);
      if (this.src.startsWith('</', this.pos)) {
        this.pos += 2;
        const closing = this.name();
        if (closing !== qname) throw malformed(`</${closing}> closes <${qname}>`);
        this.spaces();
        if (this.src[this.pos] !== '>') throw malformed(`</${closing}> is not terminated`);
        this.pos++;
        el.text = text;
        return el;
      }
      if (this.src.startsWith('<![CDATA[', this.pos)) {
        const end = this.src.indexOf(']]>', this.pos + 9);
        if (end < 0) throw malformed('unterminated CDATA section');
        text += this.src.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.src.startsWith('<!--', this.pos)) this.comment();
      else if (this.src.startsWith('<?', this.pos)) this.skipPast('?>', 'processing instruction');
      else if (this.src.startsWith('<!', this.pos)) throw malformed('declarations are not accepted inside elements');
      else if (this.src[this.pos] === '<') el.children.push(this.element(depth + 1));
      else {
        const next = this.src.indexOf('<', this.pos);
        const end = next < 0 ? this.src.length : next;
        text += decodeText(this.src.slice(this.pos, end));
        this.pos = end;
      }
    }
  }
}

/** Parses a whole document; throws MqHttpError('MalformedXML') naming the problem. */
export function parseXml(input: string): XmlElement {
  return new Parser(input).document();
}

// ---------------------------------------------------------------------------------------------
// writing

// XML 1.0 forbids these characters even as references; they become U+FFFD.
const INVALID_XML_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;

/** Escapes character data; CR is kept as a reference (parsers would fold CRLF to LF). */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

/** `<name>text</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A response document: declaration plus a root in the MQ namespace around `inner` (already XML). */
export function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${MQ_NAMESPACE}">${inner}</${root}>`;
}
