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

/** An environment variable the script cannot run without (odoo-serve.sh exports them). */
export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** The Standard Webhooks secret of the scripts' loopback partners. */
export const PARTNER_SECRET = "whsec_cmVhbC1vZG9vLWUyZS1zZWNyZXQtMDEyMzQ1Njc4OQ==";
