from . import test_purchase_order_confirmed
from . import test_purchase_order_changed
from . import test_outbox_claim
from . import test_outbox_results
from . import test_outbox_security
from . import test_outbox_retry
from . import test_nudge
from . import test_stock_events
