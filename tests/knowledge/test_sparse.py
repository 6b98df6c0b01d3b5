"""BM25 keyword vectors: single terms as Qdrant's model makes them, plus neighbouring pairs."""

from __future__ import annotations

import pytest
import qdrant_edge as qe

from knowledge.sparse import Bm25Encoder, pair_index


def _weights(v: object) -> dict[int, float]:
    return dict(zip(v.indices, v.values, strict=True))  # type: ignore[attr-defined]


def test_without_pairs_the_vectors_are_qdrant_bm25() -> None:
    text = "Set Auto Power Off to 4 hours in the Eco Solution menu."
    model = qe.Bm25(qe.Bm25Config(k=1.2, b=0.75, avg_len=120.0, language="english"))
    plain = Bm25Encoder(pair_weight=0.0)
    assert _weights(plain.encode_document(text)) == pytest.approx(
        _weights(model.embed_document(text))
    )
    assert _weights(plain.encode_query(text)) == _weights(model.embed_query(text))


def test_terms_are_stemmed_in_order_without_stopwords() -> None:
    enc = Bm25Encoder(pair_weight=0.15)
    assert enc.terms("Turn the auto power off") == enc.terms("turning auto powers")
    assert enc.pairs("the auto power") == [pair_index(*enc.terms("auto power"))]
    assert enc.pairs("power") == []


def test_document_pairs_get_bm25_term_frequency_weights() -> None:
    enc = Bm25Encoder(k=1.2, b=0.75, avg_len=120.0, pair_weight=0.15)
    text = "auto power auto power saving"
    weights = _weights(enc.encode_document(text))
    auto_power = pair_index(*enc.terms("auto power"))
    power_auto = pair_index(*enc.terms("power auto"))
    length = len(enc.terms(text))  # 5 terms
    norm = 1.2 * (1 - 0.75 + 0.75 * length / 120.0)
    assert weights[auto_power] == pytest.approx(2 * 2.2 / (2 + norm))
    assert weights[power_auto] == pytest.approx(1 * 2.2 / (1 + norm))
    # single terms keep Qdrant's weights
    single = _weights(Bm25Encoder(pair_weight=0.0).encode_document(text))
    assert {i: weights[i] for i in single} == pytest.approx(single)


def test_query_pairs_weigh_pair_weight_and_terms_one() -> None:
    enc = Bm25Encoder(pair_weight=0.15)
    weights = _weights(enc.encode_query("Can I select Auto Power Off?"))
    select, auto, power = enc.terms("select auto power")
    assert weights[auto] == weights[power] == weights[select] == 1.0
    assert weights[pair_index(auto, power)] == pytest.approx(0.15)
    assert weights[pair_index(select, auto)] == pytest.approx(0.15)
    assert pair_index(power, auto) not in weights
    assert len(weights) == 5


def test_a_number_typed_against_its_unit_also_matches_it_written_apart() -> None:
    from knowledge.sparse import unglued

    assert unglued("500h service") == "500h 500 h service"
    assert unglued("24V batteries") == "24V 24 V batteries"
    assert unglued("2nd engineer, 3rd time, 4k tv") == "2nd engineer, 3rd time, 4k tv"
    enc = Bm25Encoder()
    written_apart = set(enc.encode_query("500 h service").indices)
    assert written_apart <= set(enc.encode_query("500h service").indices)
