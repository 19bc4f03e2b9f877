import datetime
import unittest
import uuid

from _load import load_tools

envelope = load_tools().envelope


class TestUtcIso(unittest.TestCase):
    def test_naive_is_utc(self):
        self.assertEqual(envelope.utc_iso(datetime.datetime(2026, 11, 26, 9, 30, 12, 999)), "2026-11-26T09:30:12Z")

    def test_aware_is_converted(self):
        tz = datetime.timezone(datetime.timedelta(hours=2))
        self.assertEqual(envelope.utc_iso(datetime.datetime(2026, 11, 26, 11, 30, tzinfo=tz)), "2026-11-26T09:30:00Z")

    def test_empty(self):
        self.assertIsNone(envelope.utc_iso(False))
        self.assertIsNone(envelope.utc_iso(None))

    def test_date_is_refused(self):
        with self.assertRaises(TypeError):
            envelope.utc_iso(datetime.date(2026, 1, 1))


class TestBuildEnvelope(unittest.TestCase):
    def _build(self, **overrides):
        kwargs = dict(
            event_type="purchase_order.confirmed",
            occurred_at=datetime.datetime(2026, 11, 26, 9, 30, 12),
            database="distribution",
            company_id=1,
            company_name="YourCompany",
            subject_model="purchase.order",
            subject_id=42,
            subject_ref="P00042",
            sequence=1,
            data={"po_number": "P00042"},
        )
        kwargs.update(overrides)
        return envelope.build_envelope(**kwargs)

    def test_shape(self):
        env = self._build()
        self.assertEqual(set(env), {"id", "type", "version", "occurred_at", "source", "subject", "sequence", "data"})
        self.assertEqual(str(uuid.UUID(env["id"])), env["id"])
        self.assertEqual(env["version"], 1)
        self.assertEqual(env["occurred_at"], "2026-11-26T09:30:12Z")
        self.assertEqual(env["source"], {"system": "odoo", "database": "distribution", "company": {"id": 1, "name": "YourCompany"}})
        self.assertEqual(env["subject"], {"model": "purchase.order", "id": 42, "ref": "P00042"})

    def test_fresh_id_each_time(self):
        self.assertNotEqual(self._build()["id"], self._build()["id"])

    def test_ref_is_never_empty_and_bounded(self):
        self.assertEqual(self._build(subject_ref="")["subject"]["ref"], "purchase.order,42")
        self.assertEqual(len(self._build(subject_ref="x" * 300)["subject"]["ref"]), 256)

    def test_bad_type_or_sequence(self):
        with self.assertRaises(ValueError):
            self._build(event_type="Confirmed")
        with self.assertRaises(ValueError):
            self._build(sequence=0)


if __name__ == "__main__":
    unittest.main()
