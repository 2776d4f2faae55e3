"""Greedy decoding under a grammar, checking the best candidates first.

llama-cpp-python's sampler chain runs the grammar over every token of the vocabulary at
every step (about 150,000 for Qwen 2.5); at greedy decoding that check takes about a third
of the generation time. Greedy decoding under a grammar picks the highest-logit token the
grammar accepts. When one of the K highest-logit tokens is accepted, the best accepted one
among them is that token, since every other token has a lower logit; so checking those K
is enough, and only when the grammar rejects all of them is the whole vocabulary checked.
The tokens generated are the stock sampler's, one for one, for any model and grammar;
llama.cpp's own `common_sampler` does the same (it checks the grammar on the token it
would pick and resamples only when that one is rejected).

Used for greedy decoding (temperature 0) without a logits processor; repetition
penalties are applied first, as in the stock chain, so the candidates are ranked by the
same logits. Anything else goes to the stock chain.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np

CANDIDATES = 64  # checked first; one of them is almost always grammatical

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


def _as_array(cur_p, token_data: type) -> np.ndarray:
    """The llama_token_data_array's entries (`token_data`: llama_cpp.llama_token_data) as
    a numpy view (no copy)."""
    address = ctypes.addressof(cur_p.contents.data.contents)
    return np.frombuffer((token_data * cur_p.contents.size).from_address(address), dtype=_TOKEN_DATA)


def _checked_first_chain(llama, grammar, options: dict, candidates: int = CANDIDATES):
    """A sampler chain: repetition penalties (the stock chain's) → keep the best
    grammatical token among the top `candidates` (when there is one) → the grammar (which
    then checks one token, or all) → greedy."""
    import llama_cpp
    from llama_cpp import _internals

    chain = _internals.LlamaSampler()
    chain.add_penalties(
        n_vocab=llama._n_vocab,
        penalty_last_n=llama.last_n_tokens_size,
        penalty_repeat=options.get("repeat_penalty", 1.0),
        penalty_freq=options.get("frequency_penalty", 0.0),
        penalty_present=options.get("presence_penalty", 0.0),
    )
    grammar_sampler = llama_cpp.llama_sampler_init_grammar(
        llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
    )
    token_data = llama_cpp.llama_token_data
    buffer = (token_data * candidates)()
    small = llama_cpp.llama_token_data_array(
        data=ctypes.cast(buffer, llama_cpp.llama_token_data_p), size=candidates, selected=-1, sorted=False
    )
    view = np.frombuffer(buffer, dtype=_TOKEN_DATA)

    def best_candidate_first(cur_p) -> None:
        entries = _as_array(cur_p, token_data)
        if len(entries) <= candidates:
            return
        top = np.argpartition(-entries["logit"], candidates)[:candidates]
        # Best logit first; among equal logits the earlier entry, as the greedy sampler
        # takes the first maximum of the array.
        top = top[np.lexsort((top, -entries["logit"][top]))]
        view[:] = entries[top]
        small.size, small.selected, small.sorted = candidates, -1, False
        # The chain's own grammar sampler, so its state is the current one; `apply` only
        # masks rejected tokens, it advances nothing (the chain's `accept` does that).
        llama_cpp.llama_sampler_apply(grammar_sampler, ctypes.byref(small))
        accepted = np.isfinite(view["logit"])
        if not accepted.any():
            return  # the grammar checks the whole vocabulary
        entries[0] = entries[top[int(np.argmax(accepted))]]
        cur_p.contents.size, cur_p.contents.selected, cur_p.contents.sorted = 1, -1, False

    chain.add_custom(best_candidate_first)
    llama_cpp.llama_sampler_chain_add(chain.sampler, grammar_sampler)  # owned and freed by the chain
    chain.add_greedy()
    return chain


@cache
def checked_first_llama():
    """`llama_cpp.Llama` whose greedy grammar-constrained sampling checks the best
    candidates first (see the module docstring); every other sampling is the stock one."""
    from llama_cpp import Llama

    class CheckedFirstLlama(Llama):
        def _init_sampler(self, **options):
            stock = (
                options.get("grammar") is None
                or options.get("temp") != 0.0
                or options.get("logits_processor") is not None
            )
            if stock:
                return super()._init_sampler(**options)
            return _checked_first_chain(self, options["grammar"], options)

    return CheckedFirstLlama
