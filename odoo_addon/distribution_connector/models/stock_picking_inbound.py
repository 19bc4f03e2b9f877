"""Partner news about delivery orders and receipts, applied through connector.inbound.apply_events:
carrier bookings and tracking milestones, and vendors' ship notices. The fields live with the
model in stock_picking.py; this file only reads partners' documents onto them. Tracking news is
informative and goes to connector.document.status, not onto the picking.
"""

from odoo import _, api, fields, models

from ..tools import carrier_status, ship_notice
from ..tools import inbound as inbound_tools


class StockPickingInbound(models.Model):
    _inherit = "stock.picking"


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
        })
        picking._connector_record_news({"carrier_status": carrier_status.booking_status(picking.connector_carrier_status)})
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
        # Informative: recorded beside the picking, which a person may be validating right now.
        values = {"carrier_status": new_status, "last_milestone": milestone, "last_milestone_at": new_at}
        eta = inbound_tools.partner_time_to_utc(data.get("estimated_delivery"), tz_name)
        if eta:
            values["eta"] = eta
        if data.get("public_url"):
            values["tracking_url"] = data["public_url"]
        picking._connector_record_news(values)
        if not picking.carrier_tracking_ref:
            # Once per shipment at most: later news finds the picking by this number.
            picking.write({"carrier_tracking_ref": data["tracking_number"]})
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
