# Prepares an Odoo 18 database with distribution_connector installed for the sidecar, in one
# command (run by odoo-bin shell, which passes `env`):
#
#   SIDECAR_URL=http://127.0.0.1:8787 NUDGE_SECRET="$(openssl rand -hex 32)" \
#     odoo-bin shell -c /etc/odoo/odoo.conf -d <db> --no-http < scripts/odoo-setup-integration.py
#
# It makes sure the integration user exists (login "connector", or ODC_LOGIN) in the group
# "Distribution Connector: Integration (technical user)" only, with access to every company,
# gives it a new API key (scope "rpc"; an older key made by this script is revoked), sets the
# addon's settings, checks the key authenticates, commits, and prints on stdout, once:
#
#   ODOO_DB=<db>
#   ODOO_USER=connector
#   ODOO_API_KEY=<key>           (Odoo keeps only a hash: it cannot be shown again)
#
# Environment (read by this script):
#   ODC_LOGIN      login of the integration user (default connector)
#   SIDECAR_URL    sets distribution_connector.sidecar_url (unset: left as it is; empty: cleared)
#   NUDGE_SECRET   sets distribution_connector.nudge_secret, the sidecar's ODC_NUDGE_SECRET
#                  (same rules; at least 16 characters)
#   ODC_KEY_NAME   name of the API key as shown in the user's Account Security tab
#
# Running it again is safe: the user is put back in the one group, the key is replaced.
import os
import sys

LOGIN = os.environ.get("ODC_LOGIN") or "connector"
KEY_NAME = os.environ.get("ODC_KEY_NAME") or "distribution connector sidecar"


def fail(message):
    sys.stderr.write("odoo-setup-integration: %s\n" % message)
    env.cr.rollback()  # noqa: F821 (odoo-bin shell's env)
    raise SystemExit(1)


def main(env):
    if "connector.outbox" not in env:
        fail("the module distribution_connector is not installed in %s: install it first "
             "(odoo-bin -d %s -i distribution_connector --stop-after-init)" % (env.cr.dbname, env.cr.dbname))
    nudge = os.environ.get("NUDGE_SECRET")
    if nudge is not None and nudge != "" and len(nudge) < 16:
        fail("NUDGE_SECRET must be at least 16 characters (the sidecar refuses a shorter one)")

    group = env.ref("distribution_connector.group_connector_integration")
    companies = env["res.company"].search([])
    Users = env["res.users"].with_context(active_test=False, no_reset_password=True)
    user = Users.search([("login", "=", LOGIN)], limit=1)
    values = {
        "active": True,
        "groups_id": [(6, 0, [group.id])],
        "company_ids": [(6, 0, companies.ids)],
        "company_id": env.ref("base.main_company").id,
    }
    if user:
        user.write(values)
    else:
        user = Users.create(dict(values, name="Distribution Connector (sidecar)", login=LOGIN))

    Keys = env["res.users.apikeys"].sudo()
    Keys.search([("user_id", "=", user.id), ("name", "=", KEY_NAME)]).unlink()
    key = env["res.users.apikeys"].with_user(user).sudo()._generate("rpc", KEY_NAME, None)
    if Keys._check_credentials(scope="rpc", key=key) != user.id:
        fail("the new API key does not authenticate as %s" % LOGIN)

    params = env["ir.config_parameter"].sudo()
    if "SIDECAR_URL" in os.environ:
        params.set_param("distribution_connector.sidecar_url", os.environ["SIDECAR_URL"])
    if nudge is not None:
        params.set_param("distribution_connector.nudge_secret", nudge)
    env.cr.commit()

    sys.stderr.write(
        "odoo-setup-integration: user %s (id %d) in %s only; sidecar URL %s; nudge secret %s\n"
        % (LOGIN, user.id, group.full_name,
           params.get_param("distribution_connector.sidecar_url") or "(unset)",
           "set" if params.get_param("distribution_connector.nudge_secret") else "(unset)"))
    print("ODOO_DB=" + env.cr.dbname)
    print("ODOO_USER=" + LOGIN)
    print("ODOO_API_KEY=" + key)
    sys.stdout.flush()


main(env)  # noqa: F821
