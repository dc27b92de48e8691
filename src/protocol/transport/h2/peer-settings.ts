// Owns what a connection keeps of the peer's SETTINGS (RFC 9113 §6.5.2) and how one SETTINGS
// frame changes it: the frame size and stream window we send with, whether our HPACK encoder owes
// a table size update (the peer lowered its table), and the errors a value can be (ENABLE_PUSH
// not 0 or 1, a window over 2^31-1, a frame size out of range). Unknown settings are ignored.
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, MAX_FRAME_LIMIT, MAX_WINDOW, Setting } from './frames.js';

export class PeerSettings {
  maxFrame = DEFAULT_MAX_FRAME;
  streamWindow = DEFAULT_WINDOW;
  tableSize = 4096;
  /** The peer lowered its header table size: the next header block starts with a size update. */
  tableSizeUpdate = false;

  /** Applies one SETTINGS payload; the change of the stream window, or an error. */
  apply(p: Buffer): { windowDelta: number } | { code: number; reason: string } {
    let windowDelta = 0;
    for (let at = 0; at < p.length; at += 6) {
      const key = p.readUInt16BE(at);
      const value = p.readUInt32BE(at + 2);
      switch (key) {
        case Setting.HEADER_TABLE_SIZE:
          if (value < this.tableSize) this.tableSizeUpdate = true;
          this.tableSize = value;
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) return { code: ErrorCode.PROTOCOL_ERROR, reason: 'SETTINGS_ENABLE_PUSH not 0 or 1' };
          break;
        case Setting.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW) return { code: ErrorCode.FLOW_CONTROL_ERROR, reason: 'SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1' };
          windowDelta += value - this.streamWindow;
          this.streamWindow = value;
          break;
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > MAX_FRAME_LIMIT) return { code: ErrorCode.PROTOCOL_ERROR, reason: 'SETTINGS_MAX_FRAME_SIZE out of range' };
          this.maxFrame = value;
          break;
        default:
          break; // MAX_CONCURRENT_STREAMS (a server opens none), MAX_HEADER_LIST_SIZE (our blocks are small), unknown ones
      }
    }
    return { windowDelta };
  }
}
