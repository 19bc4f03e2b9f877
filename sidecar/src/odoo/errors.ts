/**
 * Odoo answers every JSON-RPC failure with HTTP 200 and `error.data.name` naming the Python
 * exception (see test/fixtures/odoo-jsonrpc). These classes give the sidecar one type per
 * kind of answer, and say whether trying again can help.
 */
export class OdooError extends Error {
  /** Trying again later can succeed (Odoo down, overloaded, restarting, database busy). */
  readonly retryable: boolean = false;
  constructor(
    message: string,
    readonly odooName?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong login or API key (`authenticate` answered false, or `AccessDenied`). */
export class OdooAuthError extends OdooError {}
/** The integration user may not do this (`AccessError`, also private methods). */
export class OdooAccessError extends OdooError {}
/** A record is gone (`MissingError`). */
export class OdooMissingError extends OdooError {}
/** Odoo refused the data (`ValidationError`, `UserError`: also an unknown model or method). */
export class OdooValidationError extends OdooError {}
/** Odoo is unreachable, overloaded (HTML 500 "pool is full"), restarting, or the database is busy. */
export class OdooUnavailableError extends OdooError {
  override readonly retryable = true;
}
/** An answer that is not JSON-RPC at all, or too large: a misconfigured URL or a proxy. */
export class OdooProtocolError extends OdooError {}

/** Maps `error.data.name` of a JSON-RPC error answer to a typed error. */
export function errorFromRpc(error: { message?: unknown; data?: { name?: unknown; message?: unknown } }): OdooError {
  const name = typeof error.data?.name === "string" ? error.data.name : "";
  const message = (typeof error.data?.message === "string" && error.data.message) || (typeof error.message === "string" && error.message) || "Odoo error";
  const short = message.length > 500 ? `${message.slice(0, 500)}...` : message;
  switch (name) {
    case "odoo.exceptions.AccessDenied":
      return new OdooAuthError(short, name);
    case "odoo.exceptions.AccessError":
      return new OdooAccessError(short, name);
    case "odoo.exceptions.MissingError":
      return new OdooMissingError(short, name);
    case "odoo.exceptions.ValidationError":
    case "odoo.exceptions.UserError":
    case "odoo.exceptions.RedirectWarning":
      return new OdooValidationError(short, name);
  }
  // Database-level trouble (serialization failure, lock timeout, connection lost, Odoo
  // restarting) is transient. An unknown database also lands here: retrying is harmless and
  // the health check reports it.
  if (name.startsWith("psycopg2.") || name === "odoo.exceptions.ConcurrencyError" || name === "odoo.service.model.RetryableError") {
    return new OdooUnavailableError(short, name);
  }
  return new OdooError(short, name || undefined);
}
