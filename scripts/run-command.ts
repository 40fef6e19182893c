/**
 * Runs an operator's command line: the exit code `main` returns is the process's (open pools and
 * timers do not keep it alive), and an unexpected error is printed and exits 1.
 */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
