/*
 * The I2C framing of sensors with a pointer register and 16-bit registers sent
 * MSB first (TMP117, MCP9808): the first byte of a write sets the pointer, then
 * each pair of bytes writes the pointed register; a read returns it MSB then
 * LSB, latched at the MSB so a conversion between the two bytes cannot tear it.
 * The device keeps its registers and their rules; this keeps the byte framing.
 */

export interface WordRegisterMap {
  /** The register's value as a read of it starts (read side effects go here). */
  readWord(reg: number): number;
  writeWord(reg: number, value: number): void;
  /** Registers one byte wide (MCP9808 RESOLUTION): one byte read or written. */
  byteWide?(reg: number): boolean;
}

export class WordRegisterPort {
  #map: WordRegisterMap;
  #pointerMask: number;
  #pointer = 0;
  #pointerPending = false;
  #lsbNext = false;
  #latched = 0;
  #writeMsb = 0;

  constructor(map: WordRegisterMap, pointerMask: number) {
    this.#map = map;
    this.#pointerMask = pointerMask;
  }

  /** An address phase: a write's first byte will be the pointer. */
  start(read: boolean): void {
    this.#pointerPending = !read;
    this.#lsbNext = false;
  }

  write(byte: number): void {
    if (this.#pointerPending) {
      this.#pointer = byte & this.#pointerMask;
      this.#pointerPending = false;
      return;
    }
    if (this.#map.byteWide?.(this.#pointer)) {
      this.#map.writeWord(this.#pointer, byte);
      return;
    }
    if (!this.#lsbNext) {
      this.#writeMsb = byte;
      this.#lsbNext = true;
      return;
    }
    this.#map.writeWord(this.#pointer, (this.#writeMsb << 8) | byte);
    this.#lsbNext = false;
  }

  read(): number {
    if (this.#map.byteWide?.(this.#pointer)) return this.#map.readWord(this.#pointer) & 0xff;
    if (!this.#lsbNext) {
      this.#latched = this.#map.readWord(this.#pointer);
      this.#lsbNext = true;
      return this.#latched >> 8;
    }
    this.#lsbNext = false;
    return this.#latched & 0xff;
  }

  stop(): void {
    this.#lsbNext = false;
  }
}
