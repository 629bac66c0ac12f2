/**
 * Keeps only the last `maxChars` characters a child wrote, so a chatty server cannot grow the
 * test process's memory, yet a failure message still shows what the server said last.
 */
export class OutputTail {
  private chunks: string[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly maxChars = 32 * 1024) {}

  push(chunk: string): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.maxChars && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
      this.dropped = true;
    }
    const [only] = this.chunks;
    if (this.chunks.length === 1 && only !== undefined && this.size > this.maxChars) {
      this.chunks = [only.slice(-this.maxChars)];
      this.size = this.maxChars;
      this.dropped = true;
    }
  }

  text(): string {
    return (this.dropped ? '[...earlier output dropped...]\n' : '') + this.chunks.join('');
  }
}
