from odoo import _, api, fields, models, tools
from odoo.tools import SQL, create_index

from ..tools import carrier_status, logistics_payload, purchase_payload, ship_notice
from ..tools import inbound as inbound_tools
from ..tools.vocabulary import uom_code_or_unknown

# States of a delivery order that a carrier or warehouse partner may have heard of.
SHIPMENT_OPEN_STATES = ("confirmed", "waiting", "assigned")


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "connector.subject.mixin"]
    _connector_inbound_field = "picking_ids"

    connector_carrier_status = fields.Selection(
        # A list, not a tuple: Odoo keeps the labels of list selections only.
        list(carrier_status.STATUSES), string="Carrier Status", copy=False, readonly=True,
        help="Last status the carrier reported for this shipment.",
    )
    connector_last_milestone = fields.Char(string="Last Milestone", copy=False, readonly=True)
    connector_last_milestone_at = fields.Datetime(string="Milestone Time", copy=False, readonly=True)
    connector_eta = fields.Datetime(string="Estimated Delivery", copy=False, readonly=True)
    connector_tracking_url = fields.Char(string="Tracking Link", copy=False, readonly=True)
    connector_label_url = fields.Char(string="Label", copy=False, readonly=True)
    connector_booked_at = fields.Datetime(string="Label Bought", copy=False, readonly=True)
    connector_asn_ref = fields.Char(string="Ship Notice", copy=False, readonly=True, index="btree_not_null")
    connector_asn_at = fields.Datetime(string="Ship Notice Date", copy=False, readonly=True)
    connector_asn_note = fields.Text(string="Expected per Ship Notice", copy=False, readonly=True)
    # What the picking said before its current ship notice, to revert when the vendor deletes it.
    connector_asn_revert = fields.Json(copy=False, readonly=True)
    connector_last_inbound_id = fields.Many2one(
        "connector.inbound", string="Last Partner Message", copy=False, readonly=True, index="btree_not_null"
    )

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
        commercial = partner.commercial_partner_id
        return logistics_payload.build_address(
            name=partner.name or commercial.name,
            company=commercial.name if commercial.is_company else None,
            street=partner.street,
            street2=partner.street2,
            city=partner.city,
            state=partner.state_id.code,
            zip=partner.zip,
            country=partner.country_id.code,
            phone=partner.phone or partner.mobile,
            email=partner.email,
        )

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

    # ------------------------------------------------------------------
    # Partner news (connector.inbound.apply_events)
    # ------------------------------------------------------------------

    def _connector_responsible_candidates(self):
        candidates = [self.user_id, self.purchase_id.user_id]
        if "sale_id" in self._fields:
            candidates.append(self.sale_id.user_id)
        return candidates

    def _connector_tz(self):
        return self.user_id.tz or self.company_id.partner_id.tz or None

    @api.model
    def _connector_company_domain(self):
        return [("company_id", "in", self.env.user.company_ids.ids)]

    @api.model
    def _connector_find_shipment(self, item):
        """The delivery order a carrier event is about: by name, then by tracking number.

        Carriers recycle tracking numbers, so the most recent delivery order of that carrier wins.
        """
        data = item["data"]
        base = self._connector_company_domain() + [("picking_type_code", "=", "outgoing")]
        names = [name for name in (item["subject_ref"].strip(), data.get("reference")) if name]
        candidates = self.search(base + [("name", "in", names)], order="id desc")
        if not candidates:
            numbers = list(data.get("tracking_numbers") or []) or [data["tracking_number"]]
            numbers.append(item["subject_ref"].strip())
            candidates = self._connector_search_tracking(base, numbers)
        if not candidates:
            return inbound_tools.Outcome("unknown_reference", _("no delivery order %s", item["subject_ref"]))
        mine = candidates.filtered(lambda picking: picking.carrier_id.connector_partner_code == item["partner"])
        if not mine:
            return inbound_tools.Outcome(
                "unknown_reference", _("%(picking)s is shipped by another carrier", picking=candidates[0].name)
            )
        open_ones = mine.filtered(lambda picking: picking.state != "cancel")
        return (open_ones or mine)[:1]

    @api.model
    def _connector_search_tracking(self, base, numbers):
        numbers = [number.strip() for number in numbers if number and number.strip()]
        found = self.search(base + [("carrier_tracking_ref", "in", numbers)], order="id desc")
        if found:
            return found
        # Several numbers in one reference ("1Z...,1Z..."), as stock_delivery writes them.
        found = self.browse()
        for number in numbers:
            found |= self.search(base + [("carrier_tracking_ref", "ilike", number)], order="id desc", limit=20)
        wanted = set(numbers)
        return found.filtered(
            lambda picking: wanted & {part.strip() for part in (picking.carrier_tracking_ref or "").split(",")}
        ).sorted("id", reverse=True)

    def _connector_apply_booking(self, item, picking):
        """carrier.shipment_booked: tracking reference and label on the delivery order."""
        data = item["data"]
        booked_at = inbound_tools.parse_utc_iso(item["occurred_at"])
        reference = ",".join(data["tracking_numbers"])
        label = (data.get("labels") or [{}])[0].get("url") or False
        if picking.state == "cancel":
            outcome = inbound_tools.Outcome(
                "exception", _("label bought for cancelled delivery %s", picking.name), record=picking, pickings=picking
            )
            outcome.note(picking, _("A label was bought for this cancelled delivery (tracking %s): have it refunded.", reference))
            return outcome.needs_person(picking, _("Label bought for a cancelled delivery"))
        if picking.connector_booked_at and booked_at and booked_at < picking.connector_booked_at:
            return inbound_tools.Outcome("stale", _("older than the booking applied"), record=picking, pickings=picking)
        if picking.carrier_tracking_ref == reference and (picking.connector_label_url or False) == label:
            return inbound_tools.Outcome("stale", _("booking already applied"), record=picking, pickings=picking)
        previous = picking.carrier_tracking_ref
        picking.write({
            "carrier_tracking_ref": reference,
            "connector_label_url": label,
            "connector_booked_at": booked_at,
            "connector_carrier_status": carrier_status.booking_status(picking.connector_carrier_status),
        })
        service = " ".join(part for part in (data.get("carrier"), data.get("service")) if part)
        detail = _("tracking %(ref)s%(service)s", ref=reference, service=" (%s)" % service if service else "")
        outcome = inbound_tools.Outcome("applied", detail, record=picking, pickings=picking)
        note = _("Label bought: %s", detail)
        if previous and previous != reference:
            note += _(", replacing tracking %s", previous)
        return outcome.note(picking, note)

    def _connector_apply_tracking(self, item, picking):
        """carrier.tracking_updated: carrier status, milestone and estimate; never back from delivered."""
        data = item["data"]
        tz_name = picking._connector_tz()
        new_status = data["status"]
        new_at = inbound_tools.event_time(item, data.get("occurred_at"), tz_name)
        label = carrier_status.label(new_status)
        if picking.state == "cancel":
            outcome = inbound_tools.Outcome(
                "exception", _("%(status)s reported for cancelled delivery %(picking)s", status=label, picking=picking.name),
                record=picking, pickings=picking,
            )
            outcome.note(picking, _("The carrier reports %s for this cancelled delivery.", label))
            return outcome.needs_person(picking, _("Carrier news for a cancelled delivery"))
        decision, reason = carrier_status.tracking_decision(
            picking.connector_carrier_status, picking.connector_last_milestone_at, new_status, new_at
        )
        if decision == carrier_status.STALE:
            return inbound_tools.Outcome("stale", reason, record=picking, pickings=picking)
        milestone = self._connector_milestone_text(data)
        values = {
            "connector_carrier_status": new_status,
            "connector_last_milestone": milestone,
            "connector_last_milestone_at": new_at,
        }
        eta = inbound_tools.partner_time_to_utc(data.get("estimated_delivery"), tz_name)
        if eta:
            values["connector_eta"] = eta
        if data.get("public_url"):
            values["connector_tracking_url"] = data["public_url"]
        if not picking.carrier_tracking_ref:
            values["carrier_tracking_ref"] = data["tracking_number"]
        picking.write(values)
        needs_person = new_status in carrier_status.ATTENTION_STATUSES
        outcome = inbound_tools.Outcome("exception" if needs_person else "applied", milestone, record=picking, pickings=picking)
        if needs_person:
            outcome.note(picking, _("Carrier: %s", milestone))
            outcome.needs_person(picking, _("Carrier: %(status)s for %(picking)s", status=label, picking=picking.name))
        elif new_status in ("delivered", "returned", "available_for_pickup", "cancelled"):
            signed = _(", signed by %s", data["signed_by"]) if data.get("signed_by") else ""
            outcome.note(picking, _("Carrier: %s", milestone) + signed)
        return outcome

    @api.model
    def _connector_milestone_text(self, data):
        where = data.get("location") or {}
        place = " ".join(part for part in (where.get("city"), where.get("state"), where.get("country")) if part)
        text = data.get("status_detail") or carrier_status.label(data["status"])
        if data.get("status_detail") and carrier_status.label(data["status"]).lower() not in text.lower():
            text = "%s: %s" % (carrier_status.label(data["status"]), text)
        return inbound_tools.short_detail("%s%s" % (text, ", %s" % place if place else ""))[:250]

    # Ship notices ---------------------------------------------------------

    @api.model
    def _connector_find_notice_orders(self, item):
        """The orders of every portion of a ship notice (all must be ours), or an Outcome."""
        data = item["data"]
        orders = self.env["purchase.order"]
        if data["operation"] == "delete" and not data["portions"]:
            pickings = self._connector_notice_pickings(item)
            if not pickings:
                return inbound_tools.Outcome("unknown_reference", _("no earlier ship notice %s to delete", data["shipment_id"]))
            return pickings.purchase_id
        domain = self._connector_company_domain()
        for portion in data["portions"]:
            found = orders.search(domain + [("name", "=", portion["po_number"])])
            if not found:
                return inbound_tools.Outcome("unknown_reference", _("no purchase order %s", portion["po_number"]))
            mine = found.filtered(lambda order: order._connector_partner_code() == item["partner"])
            if len(mine) != 1:
                return inbound_tools.Outcome(
                    "unknown_reference",
                    _("%(order)s belongs to another vendor", order=portion["po_number"]) if not mine
                    else _("several purchase orders are named %s", portion["po_number"]),
                )
            orders |= mine
        if not orders:
            return inbound_tools.Outcome("rejected", _("the ship notice names no purchase order"))
        return orders

    @api.model
    def _connector_notice_pickings(self, item):
        """Receipts that show the ship notice ``data.shipment_id`` of this vendor."""
        pickings = self.search(self._connector_company_domain() + [
            ("connector_asn_ref", "=", item["data"]["shipment_id"]),
            ("picking_type_code", "=", "incoming"),
        ])
        return pickings.filtered(lambda picking: picking._connector_vendor_code() == item["partner"])

    @api.model
    def _connector_open_receipts(self, order):
        return order.picking_ids.filtered(
            lambda picking: picking.picking_type_code == "incoming" and picking.state not in ("done", "cancel")
        )

    @api.model
    def _connector_apply_ship_notice(self, item, orders):
        """supplier.shipment_noticed: expected date, tracking and contents on the open receipts."""
        data = item["data"]
        if data["operation"] == "delete":
            return self._connector_delete_ship_notice(item, orders)
        tz_name = orders[:1]._connector_tz()
        notice_at = inbound_tools.event_time(item, data.get("notice_date"), tz_name)
        current = self._connector_notice_pickings(item)
        if current and notice_at and any(
            picking.connector_asn_at and notice_at <= picking.connector_asn_at for picking in current
        ):
            return inbound_tools.Outcome(
                "stale", _("older than the ship notice %s applied", data["shipment_id"]),
                record=current[:1], purchases=orders, pickings=current,
            )
        snapshot = {order.name: self._connector_notice_snapshot(order) for order in orders}
        plan = ship_notice.plan_ship_notice(data, snapshot, tz_name)
        receipts = self.browse()
        for order in orders:
            receipts |= self._connector_open_receipts(order)
        if plan["outcome"] == "exception":
            target = receipts[:1] or orders[:1]
            outcome = inbound_tools.Outcome("exception", plan["detail"], record=target, purchases=orders, pickings=receipts)
            outcome.note(target, _("Ship notice %(ref)s not applied: %(detail)s", ref=data["shipment_id"], detail=plan["detail"]))
            return outcome.needs_person(target, _("Ship notice %s needs review", data["shipment_id"]))
        expected_date = ship_notice.scheduled_date(data, tz_name)
        reference, url = ship_notice.tracking(data)
        for order in orders:
            note = ship_notice.notice_note(data, plan["expected"].get(order.name, []), tz_name)
            for receipt in self._connector_open_receipts(order):
                values = {
                    "connector_asn_ref": data["shipment_id"],
                    "connector_asn_at": notice_at,
                    "connector_asn_note": note,
                }
                if receipt.connector_asn_ref != data["shipment_id"]:
                    values["connector_asn_revert"] = {
                        "scheduled_date": fields.Datetime.to_string(receipt.scheduled_date),
                        "carrier_tracking_ref": receipt.carrier_tracking_ref or False,
                        "connector_tracking_url": receipt.connector_tracking_url or False,
                        "connector_asn_ref": receipt.connector_asn_ref or False,
                        "connector_asn_at": fields.Datetime.to_string(receipt.connector_asn_at),
                        "connector_asn_note": receipt.connector_asn_note or False,
                    }
                if expected_date:
                    values["scheduled_date"] = expected_date
                if reference:
                    values["carrier_tracking_ref"] = reference
                if url:
                    values["connector_tracking_url"] = url
                receipt.write(values)
        outcome = inbound_tools.Outcome("applied", plan["detail"], record=receipts[:1] or None, purchases=orders, pickings=receipts)
        for receipt in receipts:
            verb = _("updated") if data["operation"] == "update" else _("received")
            outcome.note(receipt, _("Ship notice %(verb)s. %(note)s", verb=verb, note=receipt.connector_asn_note))
        return outcome

    @api.model
    def _connector_notice_snapshot(self, order):
        receipts = self._connector_open_receipts(order)
        lines = {}
        for line in order.order_line._connector_is_orderable().filtered("connector_line_number"):
            open_quantity = sum(
                move.product_uom._compute_quantity(move.product_uom_qty, line.product_uom)
                for move in receipts.move_ids
                if move.purchase_line_id == line and move.state not in ("done", "cancel")
            )
            lines[line.connector_line_number] = {
                "open_quantity": open_quantity,
                "uom": line._connector_uom_code(),
                "supplier_part": line._connector_vendor_product_code(),
                "product_code": line.product_id.default_code or None,
            }
        return {
            "name": order.name,
            "state": order.state,
            "received_all": order.receipt_status == "full",
            "open_receipt": bool(receipts),
            "lines": lines,
        }

    @api.model
    def _connector_delete_ship_notice(self, item, orders):
        """The vendor withdrew a ship notice: the receipts go back to what they said before it."""
        data = item["data"]
        pickings = self._connector_notice_pickings(item)
        if not pickings:
            return inbound_tools.Outcome(
                "unknown_reference", _("no earlier ship notice %s to delete", data["shipment_id"]),
                purchases=orders,
            )
        notice_at = inbound_tools.event_time(item, data.get("notice_date"))
        if notice_at and any(picking.connector_asn_at and notice_at < picking.connector_asn_at for picking in pickings):
            return inbound_tools.Outcome(
                "stale", _("older than the ship notice %s applied", data["shipment_id"]),
                record=pickings[:1], purchases=orders, pickings=pickings,
            )
        received = pickings.filtered(lambda picking: picking.state == "done")
        if received:
            outcome = inbound_tools.Outcome(
                "exception", _("ship notice %(ref)s withdrawn after %(picking)s was received",
                               ref=data["shipment_id"], picking=received[0].name),
                record=received[:1], purchases=pickings.purchase_id, pickings=pickings,
            )
            outcome.note(received[:1], outcome.detail)
            return outcome.needs_person(received[:1], _("Ship notice withdrawn after receipt"))
        for picking in pickings.filtered(lambda picking: picking.state != "cancel"):
            before = picking.connector_asn_revert or {}
            values = {
                "connector_asn_ref": before.get("connector_asn_ref") or False,
                "connector_asn_at": before.get("connector_asn_at") or False,
                "connector_asn_note": before.get("connector_asn_note") or False,
                "connector_asn_revert": False,
                "carrier_tracking_ref": before.get("carrier_tracking_ref") or False,
                "connector_tracking_url": before.get("connector_tracking_url") or False,
            }
            if before.get("scheduled_date"):
                values["scheduled_date"] = before["scheduled_date"]
            picking.write(values)
        outcome = inbound_tools.Outcome(
            "applied", _("ship notice %s withdrawn", data["shipment_id"]),
            record=pickings[:1], purchases=pickings.purchase_id, pickings=pickings,
        )
        for picking in pickings:
            outcome.note(picking, _("The vendor withdrew ship notice %s; the receipt shows what it said before.", data["shipment_id"]))
        return outcome
