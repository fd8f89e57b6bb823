"""The synthetic data is deterministic and its churn label is learnable."""

from __future__ import annotations

import pandas as pd
import pytest

from sandbox import datasets


def test_same_seed_same_rows():
    a, b = datasets.generate("tiny"), datasets.generate("tiny")
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not datasets.generate("tiny", seed=1)["orders"].equals(a["orders"])


def test_sizes_and_consistency():
    data = datasets.generate("tiny")
    assert len(data["customers"]) == 200 and len(data["orders"]) == 1_000 and len(data["clickstream"]) == 2_000
    orders, products = data["orders"], data["products"].set_index("product_id")
    assert orders["customer_id"].between(1, 200).all()
    assert (orders["unit_price"] == products.loc[orders["product_id"], "price"].to_numpy()).all()
    assert (orders["amount"] - orders["unit_price"] * orders["quantity"]).abs().max() < 0.01
    assert orders["order_ts"].dt.tz is not None
    assert orders["order_ts"].dt.day.nunique() == 7


def test_unknown_size():
    with pytest.raises(ValueError, match="unknown size"):
        datasets.generate("huge")


@pytest.mark.slow
def test_churn_label_is_learnable():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    frame = datasets.customers(3_000)
    features = pd.get_dummies(frame[["tenure_months", "support_calls", "monthly_spend", "age", "segment"]],
                              columns=["segment"], dtype=float)
    x_train, x_test, y_train, y_test = train_test_split(features, frame["churned"], random_state=0,
                                                        stratify=frame["churned"])
    model = LogisticRegression(max_iter=2_000).fit(x_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    assert 0.75 < auc < 0.99
    assert 0.15 < frame["churned"].mean() < 0.6
