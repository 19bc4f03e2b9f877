from . import connector_outbox
from . import delivery_carrier
from . import purchase_order
from . import purchase_order_line
from . import res_partner
from . import stock_move
from . import stock_picking
from . import stock_quant
