/** Runs a real-Odoo script's main and exits with its code; an exception is printed and exits 1. */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
