from odoo import models

from ..tools import logistics_payload, purchase_payload
from ..tools.vocabulary import uom_code_or_unknown

# States of a delivery order that a carrier or warehouse partner may have heard of.
SHIPMENT_OPEN_STATES = ("confirmed", "waiting", "assigned")


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "connector.subject.mixin"]

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
        uom = move.product_uom
        return {
            "product_code": move.product_id.default_code,
            "description": move.description_picking or move.product_id.display_name,
            "quantity": quantity,
            "uom_xmlid": uom.get_external_id().get(uom.id),
            "uom_name": uom.with_context(lang="en_US").name,
            "uom_category": uom.category_id.with_context(lang="en_US").name,
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
        warehouse_partner = picking.picking_type_id.warehouse_id.partner_id or picking.company_id.partner_id
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
            ship_from=self._connector_address(warehouse_partner),
            ship_to=self._connector_address(picking.partner_id) if picking.partner_id else None,
            parcels=self._connector_parcels(),
            lines=lines,
            **extra,
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

    def _connector_parcels(self):
        picking = self.sudo()
        product_template = self.env["product.template"]
        weight_uom = product_template._get_weight_uom_id_from_ir_config_parameter()
        length_uom = product_template._get_length_uom_id_from_ir_config_parameter()
        weight_code = uom_code_or_unknown(xmlid=weight_uom.get_external_id().get(weight_uom.id))
        length_code = uom_code_or_unknown(xmlid=length_uom.get_external_id().get(length_uom.id))
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
        bulk_weight = picking.weight_bulk if packages else (picking.shipping_weight or picking.weight)
        if not packages or bulk_weight:
            parcels.append(logistics_payload.build_parcel(weight=bulk_weight, weight_uom=weight_code))
        return parcels
