"""Deterministic synthetic data for the whole walkthrough.

An e-commerce shop: customers, products, orders with timestamps, a clickstream,
and a churn label that depends on the customers' behaviour (so a model can learn
it: a logistic model reaches an AUC around 0.85 on the default size).

Every generator takes a size and a seed; the same arguments give the same rows.
``load_into_lake`` writes everything to S3 in the layout the notebooks, the demo
and the exercises use::

    raw/orders/year=YYYY/month=MM/day=DD/part-0.parquet   hive-partitioned Parquet
    raw/customers/customers.csv                           CSV with a header
    raw/products/products.json                            JSON lines
    raw/clickstream/dt=YYYY-MM-DD/events.json             JSON lines, one folder a day
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SIZES = {
    # name: (customers, products, orders, clickstream events, days)
    "tiny": (200, 40, 1_000, 2_000, 7),
    "small": (1_000, 100, 10_000, 20_000, 31),
    "medium": (20_000, 500, 200_000, 400_000, 90),
    "large": (100_000, 2_000, 1_000_000, 2_000_000, 90),
}
START_DATE = "2024-01-01"
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CA"]
SEGMENTS = ["consumer", "small_business", "enterprise"]
CATEGORIES = ["books", "electronics", "home", "toys", "sports", "beauty", "grocery"]
CHANNELS = ["web", "mobile", "store"]
DEVICES = ["desktop", "ios", "android"]
PAGES = ["home", "search", "product", "cart", "checkout"]


@dataclass(frozen=True)
class DatasetSize:
    customers: int
    products: int
    orders: int
    events: int
    days: int

    @classmethod
    def named(cls, size: str | DatasetSize) -> DatasetSize:
        if isinstance(size, DatasetSize):
            return size
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        return cls(*SIZES[size])


def _rng(seed: int) -> Any:
    import numpy as np

    return np.random.default_rng(seed)


def customers(n: int = 1_000, seed: int = 7) -> pd.DataFrame:
    """Customers with a ``churned`` label driven by tenure, support calls, spend and segment."""
    import numpy as np
    import pandas as pd

    rng = _rng(seed)
    ids = np.arange(1, n + 1, dtype="int64")
    tenure = rng.integers(1, 72, n)
    support_calls = rng.poisson(1.5, n)
    monthly_spend = np.round(rng.gamma(2.0, 40.0, n), 2)
    age = rng.integers(18, 80, n)
    segment = rng.choice(SEGMENTS, n, p=[0.6, 0.3, 0.1])
    # churn log-odds: short tenure, many support calls, low spend and consumers churn more
    logit = (
        1.2
        - 0.06 * tenure
        + 0.55 * support_calls
        - 0.012 * monthly_spend
        + np.where(segment == "consumer", 0.6, -0.4)
        + rng.normal(0, 0.6, n)
    )
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    signup = pd.Timestamp(START_DATE) - pd.to_timedelta(tenure * 30, unit="D")
    return pd.DataFrame({
        "customer_id": ids,
        "name": [f"Customer {i}" for i in ids],
        "email": [f"customer{i}@example.com" for i in ids],
        "country": rng.choice(COUNTRIES, n),
        "segment": segment,
        "signup_date": signup.strftime("%Y-%m-%d"),
        "age": age.astype("int64"),
        "tenure_months": tenure.astype("int64"),
        "monthly_spend": monthly_spend,
        "support_calls": support_calls.astype("int64"),
        "churned": churned,
    })


def products(n: int = 100, seed: int = 11) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rng = _rng(seed)
    ids = np.arange(1, n + 1, dtype="int64")
    category = rng.choice(CATEGORIES, n)
    return pd.DataFrame({
        "product_id": ids,
        "name": [f"{c.title()} item {i}" for c, i in zip(category, ids)],
        "category": category,
        "price": np.round(rng.lognormal(3.0, 0.8, n), 2),
    })


def orders(n: int = 10_000, n_customers: int = 1_000, n_products: int = 100, days: int = 31,
           seed: int = 13, product_prices: pd.Series | None = None) -> pd.DataFrame:
    """Orders spread over ``days`` days from START_DATE, with a daily rhythm."""
    import numpy as np
    import pandas as pd

    rng = _rng(seed)
    prices = product_prices if product_prices is not None else products(n_products).set_index("product_id")["price"]
    product_id = rng.integers(1, n_products + 1, n).astype("int64")
    quantity = rng.integers(1, 6, n).astype("int64")
    unit_price = prices.reindex(product_id).to_numpy()
    day = rng.integers(0, days, n)
    # more orders in the evening
    hour = np.clip(rng.normal(17, 4, n), 0, 23.99)
    seconds = (day * 86_400 + hour * 3_600).astype("int64")
    ts = pd.Timestamp(START_DATE, tz="UTC") + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame({
        "order_id": np.arange(1, n + 1, dtype="int64"),
        "customer_id": rng.integers(1, n_customers + 1, n).astype("int64"),
        "product_id": product_id,
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": np.round(unit_price * quantity, 2),
        "order_ts": ts.astype("datetime64[us, UTC]"),
        "status": rng.choice(["completed", "returned", "cancelled"], n, p=[0.88, 0.07, 0.05]),
        "channel": rng.choice(CHANNELS, n, p=[0.5, 0.35, 0.15]),
    })
    return frame.sort_values("order_ts", kind="stable").reset_index(drop=True)


def clickstream(n: int = 20_000, n_customers: int = 1_000, n_products: int = 100, days: int = 31,
                seed: int = 17) -> pd.DataFrame:
    """Page events in sessions: views, some add-to-carts, fewer purchases."""
    import numpy as np
    import pandas as pd

    rng = _rng(seed)
    n_sessions = max(1, n // 8)
    session = rng.integers(1, n_sessions + 1, n)
    session_customer = rng.integers(1, n_customers + 1, n_sessions + 1)
    session_start = rng.integers(0, days * 86_400 - 3_600, n_sessions + 1)
    offset = rng.integers(0, 1_800, n)
    ts = pd.Timestamp(START_DATE, tz="UTC") + pd.to_timedelta(session_start[session] + offset, unit="s")
    frame = pd.DataFrame({
        "event_id": [f"e{i:08d}" for i in range(1, n + 1)],
        "session_id": [f"s{s:07d}" for s in session],
        "customer_id": session_customer[session].astype("int64"),
        "product_id": rng.integers(1, n_products + 1, n).astype("int64"),
        "event_type": rng.choice(["view", "add_to_cart", "purchase"], n, p=[0.8, 0.15, 0.05]),
        "event_ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z",
        "page": rng.choice(PAGES, n),
        "device": rng.choice(DEVICES, n),
    })
    return frame.sort_values(["event_ts", "event_id"]).reset_index(drop=True)


def generate(size: str | DatasetSize = "small", seed: int = 42) -> dict[str, pd.DataFrame]:
    """All four tables, consistent with each other (ids and prices line up)."""
    s = DatasetSize.named(size)
    prods = products(s.products, seed=seed + 1)
    return {
        "customers": customers(s.customers, seed=seed),
        "products": prods,
        "orders": orders(s.orders, s.customers, s.products, s.days, seed=seed + 2,
                         product_prices=prods.set_index("product_id")["price"]),
        "clickstream": clickstream(s.events, s.customers, s.products, s.days, seed=seed + 3),
    }


def load_into_lake(session: Any, bucket: str, size: str | DatasetSize = "small", seed: int = 42,
                   prefix: str = "raw", create_bucket: bool = True) -> dict[str, Any]:
    """Generate the data and write it to ``s3://bucket/<prefix>/...`` (layout in the module doc).

    Returns a summary: table -> number of rows and S3 location.
    """
    import io

    from sandbox import lake

    tables = generate(size, seed)
    s3 = session.client("s3")
    if create_bucket:
        lake.ensure_bucket(s3, bucket)
    summary: dict[str, Any] = {}

    orders_frame = tables["orders"]
    ts = orders_frame["order_ts"]
    with_parts = orders_frame.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
    written = lake.write_partitioned(session, with_parts, f"s3://{bucket}/{prefix}/orders/",
                                     partition_cols=["year", "month", "day"])
    summary["orders"] = {"rows": len(orders_frame), "location": f"s3://{bucket}/{prefix}/orders/", "files": len(written)}

    buf = io.StringIO()
    tables["customers"].to_csv(buf, index=False)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/customers/customers.csv", Body=buf.getvalue().encode())
    summary["customers"] = {"rows": len(tables["customers"]), "location": f"s3://{bucket}/{prefix}/customers/"}

    body = tables["products"].to_json(orient="records", lines=True)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/products/products.json", Body=body.encode())
    summary["products"] = {"rows": len(tables["products"]), "location": f"s3://{bucket}/{prefix}/products/"}

    events = tables["clickstream"]
    days = events["event_ts"].str[:10]
    for day, group in events.groupby(days, sort=True):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/clickstream/dt={day}/events.json",
                      Body=group.to_json(orient="records", lines=True).encode())
    summary["clickstream"] = {"rows": len(events), "location": f"s3://{bucket}/{prefix}/clickstream/",
                              "files": int(days.nunique())}
    return summary
