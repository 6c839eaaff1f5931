/**
 * What the CLI prints: plain lines on stdout, colour only on a terminal that
 * wants it (NO_COLOR, FORCE_COLOR honoured), and a progress line for long
 * steps (a spinner with the seconds spent on a terminal, one line every ten
 * seconds elsewhere).
 */

export interface Output {
  line(text?: string): void;
  /** A line on stderr. */
  error(text: string): void;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
  /** Shows `label` with the time spent until the returned function is called with the closing text. */
  progress(label: string): (done: string) => void;
}

export interface OutputStreams {
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function createOutput({
  stdout = process.stdout,
  stderr = process.stderr,
  env = process.env,
}: OutputStreams = {}): Output {
  const tty = stdout.isTTY === true;
  const color = env.FORCE_COLOR ? env.FORCE_COLOR !== "0" : tty && !env.NO_COLOR && env.TERM !== "dumb";
  const paint = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  const out: Output = {
    line: (text = "") => {
      stdout.write(`${text}\n`);
    },
    error: (text) => {
      stderr.write(`${text}\n`);
    },
    bold: paint(1, 22),
    dim: paint(2, 22),
    green: paint(32, 39),
    red: paint(31, 39),
    cyan: paint(36, 39),
    progress(label) {
      const started = Date.now();
      const seconds = () => Math.round((Date.now() - started) / 1000);
      let frame = 0;
      let timer: NodeJS.Timeout;
      if (tty) {
        const draw = () => {
          stdout.write(
            `\r${out.cyan(SPINNER[frame++ % SPINNER.length] as string)} ${label} ${out.dim(`${seconds()}s`)}`,
          );
        };
        draw();
        timer = setInterval(draw, 100);
      } else {
        stdout.write(`${label}\n`);
        timer = setInterval(() => stdout.write(`  … still working (${seconds()}s)\n`), 10_000);
      }
      timer.unref();
      return (done) => {
        clearInterval(timer);
        if (tty) stdout.write("\r\u001b[2K");
        stdout.write(`${done} ${out.dim(`(${seconds()}s)`)}\n`);
      };
    },
  };
  return out;
}
