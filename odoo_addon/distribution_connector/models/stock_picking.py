"""Delivery orders and receipts: the connector's fields, and the events they emit (outbound).

What partners tell us about them (bookings, tracking, ship notices) is applied in
stock_picking_inbound.py.
"""

from odoo import api, fields, models, tools
from odoo.tools import SQL, create_index

from ..tools import carrier_status, logistics_payload, purchase_payload
from ..tools.vocabulary import uom_code_or_unknown

# States of a delivery order that a carrier or warehouse partner may have heard of.
SHIPMENT_OPEN_STATES = ("confirmed", "waiting", "assigned")


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "connector.subject.mixin"]
    _connector_inbound_field = "picking_ids"

    # The carrier's news lives in connector.document.status, never on the picking (a person may
    # be validating it when a milestone arrives): these fields show it.
    connector_carrier_status = fields.Selection(
        # A list, not a tuple: Odoo keeps the labels of list selections only.
        list(carrier_status.STATUSES), string="Carrier Status", readonly=True,
        compute="_compute_connector_news", inverse="_inverse_connector_news", search="_search_connector_carrier_status",
        help="Last status the carrier reported for this shipment.",
    )
    connector_last_milestone = fields.Char(
        string="Last Milestone", readonly=True, compute="_compute_connector_news", inverse="_inverse_connector_news"
    )
    connector_last_milestone_at = fields.Datetime(
        string="Milestone Time", readonly=True, compute="_compute_connector_news", inverse="_inverse_connector_news"
    )
    connector_eta = fields.Datetime(
        string="Estimated Delivery", readonly=True, compute="_compute_connector_news", inverse="_inverse_connector_news"
    )
    connector_tracking_url = fields.Char(
        string="Tracking Link", readonly=True, compute="_compute_connector_news", inverse="_inverse_connector_news"
    )
    connector_label_url = fields.Char(string="Label", copy=False, readonly=True)
    connector_booked_at = fields.Datetime(string="Label Bought", copy=False, readonly=True)
    connector_asn_ref = fields.Char(string="Ship Notice", copy=False, readonly=True, index="btree_not_null")
    connector_asn_at = fields.Datetime(string="Ship Notice Date", copy=False, readonly=True)
    connector_asn_note = fields.Text(string="Expected per Ship Notice", copy=False, readonly=True)
    # What the picking said before its current ship notice, to revert when the vendor deletes it.
    connector_asn_revert = fields.Json(copy=False, readonly=True)

    _connector_news_fields = {
        "connector_last_inbound_id": "last_inbound_id",
        "connector_carrier_status": "carrier_status",
        "connector_last_milestone": "last_milestone",
        "connector_last_milestone_at": "last_milestone_at",
        "connector_eta": "eta",
        "connector_tracking_url": "tracking_url",
    }

    def _search_connector_carrier_status(self, operator, value):
        return self._connector_search_news("carrier_status", operator, value)

    def init(self):
        super().init()
        # Tracking webhooks find their delivery order by tracking number.
        create_index(
            self.env.cr, "stock_picking_carrier_tracking_ref_index", self._table, ["carrier_tracking_ref"],
            where="carrier_tracking_ref IS NOT NULL",
        )

    def _action_done(self):
        todo = self.filtered(lambda picking: picking.state != "done")
        result = super()._action_done()
        for picking in todo.filtered(lambda picking: picking.state == "done"):
            if picking.picking_type_code == "incoming":
                picking._connector_emit("receipt.validated", picking._connector_receipt_data(),
                                        picking._connector_vendor_code())
            elif picking.picking_type_code == "outgoing":
                picking._connector_emit("shipment.dispatched", picking._connector_shipment_data(dispatched=True),
                                        picking.carrier_id.connector_partner_code)
        return result

    def action_cancel(self):
        open_shipments = self.filtered(
            lambda picking: picking.picking_type_code == "outgoing" and picking.state in SHIPMENT_OPEN_STATES
        )
        # Captured before cancelling: cancelled moves no longer say what was planned.
        data = {picking.id: picking._connector_shipment_data() for picking in open_shipments}
        result = super().action_cancel()
        for picking in open_shipments.filtered(lambda picking: picking.state == "cancel"):
            picking._connector_emit("shipment.cancelled", data[picking.id], picking.carrier_id.connector_partner_code)
        return result

    def _connector_emit_ready(self):
        """shipment.ready for delivery orders that just became ready, once per delivery order."""
        outbox = self.env["connector.outbox"]
        for picking in self:
            if outbox._last_payload(picking, ("shipment.ready",)) is not None:
                continue
            picking._connector_emit("shipment.ready", picking._connector_shipment_data(),
                                    picking.carrier_id.connector_partner_code)

    def _connector_emit(self, event_type, data, partner_code):
        self.ensure_one()
        return self.env["connector.outbox"]._emit(event_type, self, data, partner_code=partner_code or None)

    # ------------------------------------------------------------------
    # Payloads
    # ------------------------------------------------------------------

    def _connector_vendor_code(self):
        vendor = self.purchase_id.partner_id or self.partner_id
        return vendor.commercial_partner_id.connector_partner_code or vendor.connector_partner_code or None

    def _connector_move_item(self, move, quantity):
        return {
            "product_code": move.product_id.default_code,
            "description": move.description_picking or move.product_id.display_name,
            "quantity": quantity,
            **move.product_uom._connector_uom_keys(),
        }

    def _connector_receipt_data(self):
        self.ensure_one()
        picking = self.sudo()
        vendor = (picking.purchase_id.partner_id or picking.partner_id).commercial_partner_id
        return logistics_payload.build_receipt_data(
            receipt=picking.name,
            origin=picking.origin,
            po_number=picking.purchase_id.name,
            vendor=purchase_payload.build_vendor(
                id=vendor.id, name=vendor.name, partner_code=self._connector_vendor_code(), vat=vendor.vat,
            ) if vendor else None,
            scheduled_date=picking.scheduled_date,
            date_done=picking.date_done,
            destination=picking.location_dest_id.complete_name,
            backorder_of=picking.backorder_id.name,
            lines=[
                dict(
                    self._connector_move_item(move, move.quantity),
                    line_number=move.purchase_line_id.connector_line_number,
                    lots=move.move_line_ids.lot_id.mapped("name"),
                )
                for move in picking.move_ids.filtered(lambda move: move.state == "done")
            ],
        )

    def _connector_shipment_data(self, dispatched=False):
        self.ensure_one()
        picking = self.sudo()
        if dispatched:
            moves = picking.move_ids.filtered(lambda move: move.state == "done")
            lines = [self._connector_move_item(move, move.quantity) for move in moves]
        else:
            moves = picking.move_ids.filtered(lambda move: move.state != "cancel")
            lines = [self._connector_move_item(move, move.quantity or move.product_uom_qty) for move in moves]
        customer = picking.partner_id
        # The customer is in the cache (the validation read it); its state and country are
        # read together with the commercial partner.
        customer.commercial_partner_id.mapped("is_company")
        customer.state_id.mapped("code")
        customer.country_id.mapped("code")
        extra = {}
        if dispatched:
            extra = {
                "date_done": picking.date_done,
                "tracking_ref": picking.carrier_tracking_ref,
                "tracking_url": picking.carrier_tracking_url,
            }
        return logistics_payload.build_shipment_data(
            picking=picking.name,
            origin=picking.origin,
            scheduled_date=picking.scheduled_date,
            carrier_code=picking.carrier_id.connector_partner_code,
            carrier_name=picking.carrier_id.name,
            ship_from=self._connector_ship_from(),
            ship_to=self._connector_address(customer) if customer else None,
            parcels=self._connector_parcels(),
            lines=lines,
            **extra,
        )

    def _connector_ship_from(self):
        """The warehouse's address (else the company's), in one statement.

        Nothing of it is in the cache during a validation: through the ORM the warehouse, its
        partner and the partner's country were three more queries in every delivery order.
        """
        self.ensure_one()
        picking = self.sudo()
        for model, names in (
            ("stock.warehouse", ["partner_id"]), ("stock.picking.type", ["warehouse_id"]),
            ("res.company", ["partner_id"]),
            ("res.partner", ["name", "commercial_partner_id", "is_company", "street", "street2", "city", "state_id",
                             "zip", "country_id", "phone", "mobile", "email"]),
        ):
            self.env[model].flush_model(names)
        self.env.cr.execute(SQL(
            """
            SELECT p.name, cp.name, cp.is_company, p.street, p.street2, p.city, st.code, p.zip, co.code,
                   p.phone, p.mobile, p.email
              FROM res_company c
              LEFT JOIN stock_picking_type pt ON pt.id = %(type)s
              LEFT JOIN stock_warehouse w ON w.id = pt.warehouse_id
              JOIN res_partner p ON p.id = COALESCE(w.partner_id, c.partner_id)
              LEFT JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
              LEFT JOIN res_country_state st ON st.id = p.state_id
              LEFT JOIN res_country co ON co.id = p.country_id
             WHERE c.id = %(company)s
            """,
            type=picking.picking_type_id.id, company=picking.company_id.id,
        ))
        row = self.env.cr.fetchone()
        if not row:
            return None
        name, commercial_name, is_company, street, street2, city, state, zip_code, country, phone, mobile, email = row
        return logistics_payload.build_address(
            name=name or commercial_name,
            company=commercial_name if is_company else None,
            street=street, street2=street2, city=city, state=state, zip=zip_code, country=country,
            phone=phone or mobile, email=email,
        )

    def _connector_address(self, partner):
        return logistics_payload.build_address(**partner._connector_address_values())

    @api.model
    @tools.ormcache()
    def _connector_measure_codes(self):
        """Rec 20 codes of the database's weight and length units (cached; changing the
        setting writes a system parameter, which clears the cache)."""
        product_template = self.env["product.template"]
        weight_uom = product_template._get_weight_uom_id_from_ir_config_parameter()
        length_uom = product_template._get_length_uom_id_from_ir_config_parameter()
        return (
            uom_code_or_unknown(xmlid=weight_uom._connector_uom_keys()["uom_xmlid"]),
            uom_code_or_unknown(xmlid=length_uom._connector_uom_keys()["uom_xmlid"]),
        )

    def _connector_parcels(self):
        picking = self.sudo()
        weight_code, length_code = self._connector_measure_codes()
        packages = picking.move_line_ids.result_package_id
        parcels = [
            logistics_payload.build_parcel(
                package=package.name,
                weight=package.shipping_weight or package.weight,
                weight_uom=weight_code,
                length=package.package_type_id.packaging_length,
                width=package.package_type_id.width,
                height=package.package_type_id.height,
                dimension_uom=length_code,
            )
            for package in packages
        ]
        if packages:
            bulk_weight = picking.weight_bulk
        else:
            # What Odoo's shipping_weight is without packages (stock.picking._compute_bulk_weight),
            # from the move lines the validation has in the cache, instead of its read_group.
            bulk_weight = sum(
                line.product_uom_id._compute_quantity(line.quantity, line.product_id.uom_id) * line.product_id.weight
                for line in picking.move_line_ids if line.product_id
            ) or picking.weight
        if not packages or bulk_weight:
            parcels.append(logistics_payload.build_parcel(weight=bulk_weight, weight_uom=weight_code))
        return parcels
