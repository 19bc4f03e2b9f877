from odoo import api, models, tools


class UomUom(models.Model):
    _inherit = "uom.uom"

    @api.model
    @tools.ormcache("uom_id")
    def _connector_uom_keys_cached(self, uom_id):
        uom = self.sudo().with_context(lang="en_US", active_test=False).browse(uom_id)
        return {
            "uom_xmlid": uom.get_external_id().get(uom_id),
            "uom_name": uom.name,
            "uom_category": uom.category_id.name,
        }

    def _connector_uom_keys(self):
        """What the payload builders need to give the unit its Rec 20 code: XML id, English
        name and category. Cached: every event has units, and they hardly ever change."""
        self.ensure_one()
        return dict(self._connector_uom_keys_cached(self.id))

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
