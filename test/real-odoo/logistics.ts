/**
 * What the real-Odoo scripts that ship goods need, made through JSON-RPC as an administrator
 * would: a vendor and a carrier with partner codes, a customer, a stored product, and delivery
 * orders of that product from the first warehouse to the customers' location.
 */
import type { OdooClient } from "../../sidecar/src/odoo/client.ts";

type M2o = [number, string] | false;
const idOf = (m: M2o) => (m as [number, string])[0];

export interface Logistics {
  vendorId: number;
  customerId: number;
  productId: number;
  carrierId: number;
  /** A delivery order of `quantity` of the product, with the carrier, confirmed (`action_confirm`). */
  deliveryOrder(quantity: number): Promise<number>;
  /** Stock of the product in the warehouse, so that delivery orders can be reserved. */
  addStock(quantity: number): Promise<void>;
  /** Sets each move's quantity done and validates; throws when Odoo answers a wizard. */
  validate(pickingId: number, what: string): Promise<void>;
}

export async function logistics(admin: OdooClient, label: string, tag: string, codes: { supplier: string; carrier: string }): Promise<Logistics> {
  const vendorId = await admin.execute<number>("res.partner", "create", [{ name: `${label} Supplier ${tag}`, is_company: true, connector_partner_code: codes.supplier }]);
  const customerId = await admin.execute<number>("res.partner", "create", [{ name: `${label} Customer ${tag}`, is_company: true, street: "1 Main St", city: "Fremont", zip: "94538" }]);
  const productId = await admin.execute<number>("product.product", "create", [{ name: `${label} Desk ${tag}`, default_code: `${label.toUpperCase()}-${tag}`, type: "consu", is_storable: true, weight: 12.5 }]);
  const [product] = await admin.execute<{ uom_id: M2o; name: string }[]>("product.product", "read", [[productId]], { fields: ["uom_id", "name"] });
  const shipProductId = await admin.execute<number>("product.product", "create", [{ name: `${label} shipping ${tag}`, type: "service" }]);
  const carrierId = await admin.execute<number>("delivery.carrier", "create", [{ name: `${label} Carrier ${tag}`, delivery_type: "fixed", fixed_price: 5, product_id: shipProductId, connector_partner_code: codes.carrier }]);
  const [warehouse] = await admin.execute<{ out_type_id: M2o; lot_stock_id: M2o }[]>("stock.warehouse", "search_read", [[]], { fields: ["out_type_id", "lot_stock_id"], limit: 1 });
  const [customers] = await admin.execute<{ id: number }[]>("stock.location", "search_read", [[["usage", "=", "customer"]]], { fields: ["id"], limit: 1 });
  const stockId = idOf(warehouse!.lot_stock_id);

  return {
    vendorId,
    customerId,
    productId,
    carrierId,
    async deliveryOrder(quantity) {
      const pickingId = await admin.execute<number>("stock.picking", "create", [
        {
          picking_type_id: idOf(warehouse!.out_type_id),
          partner_id: customerId,
          carrier_id: carrierId,
          location_id: stockId,
          location_dest_id: customers!.id,
          move_ids: [[0, 0, { name: product!.name, product_id: productId, product_uom_qty: quantity, product_uom: idOf(product!.uom_id), location_id: stockId, location_dest_id: customers!.id }]],
        },
      ]);
      await admin.execute("stock.picking", "action_confirm", [[pickingId]]);
      return pickingId;
    },
    async addStock(quantity) {
      const quantId = await admin.execute<number>("stock.quant", "create", [{ product_id: productId, location_id: stockId, inventory_quantity: quantity }]);
      await admin.execute("stock.quant", "action_apply_inventory", [[quantId]]);
    },
    async validate(pickingId, what) {
      const moves = await admin.execute<{ id: number; product_uom_qty: number }[]>("stock.move", "search_read", [[["picking_id", "=", pickingId]]], { fields: ["product_uom_qty"] });
      for (const move of moves) await admin.execute("stock.move", "write", [[move.id], { quantity: move.product_uom_qty, picked: true }]);
      const answer = await admin.execute<unknown>("stock.picking", "button_validate", [[pickingId]]);
      if (answer !== true) throw new Error(`${what}: button_validate answered ${JSON.stringify(answer)} (a wizard?)`);
    },
  };
}
