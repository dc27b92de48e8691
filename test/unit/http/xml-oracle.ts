// The reference the XML fuzz test checks the gateway's hand-written parser against: sax in strict
// mode (pinned devDependency), building the same tree (local names, direct text + CDATA).
import { createRequire } from 'node:module';
import type { XmlElement } from '../../../src/http/xml.js';

interface SaxParser {
  onopentag: (tag: { name: string }) => void;
  onclosetag: () => void;
  ontext: (t: string) => void;
  oncdata: (t: string) => void;
  ondoctype: () => void;
  onerror: (e: Error) => void;
  write(s: string): SaxParser;
  close(): SaxParser;
}
const sax = createRequire(import.meta.url)('sax') as { parser(strict: boolean, opt: object): SaxParser };

/** The tree sax builds, or the error it reports. */
export function saxTree(input: string): XmlElement | Error {
  const p = sax.parser(true, { trim: false, normalize: false, xmlns: false, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let error: Error | undefined;
  let doctype = false;
  p.onopentag = (tag) => {
    const el: XmlElement = { name: tag.name.slice(tag.name.lastIndexOf(':') + 1), children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    stack.push(el);
  };
  p.onclosetag = () => void stack.pop();
  p.ontext = (t) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += t;
  };
  p.oncdata = (t) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += t;
  };
  p.ondoctype = () => (doctype = true);
  p.onerror = (e) => {
    error ??= e;
  };
  try {
    p.write(input).close();
  } catch (e) {
    error ??= e as Error;
  }
  if (error) return error;
  if (doctype) return new Error('doctype');
  return root ?? new Error('no root');
}
