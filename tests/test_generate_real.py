"""Generator stage with real models (integration): the bundled Qwen2.5-Coder-1.5B GGUF through
llama-cpp-python, and the transformers backend on a tiny random model built in tmp_path.

The bundled GGUF is assembled into the product's real cache (cache_dir()/models) on first
run (~1.1 GB, once); answers are kept short so the test stays quick on 2 CPU cores."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.config import Config
from rag.generate import Generator, TransformersGenerator, load_generator

pytestmark = pytest.mark.integration

SYSTEM = {"role": "system", "content": "只用中文简短回答。"}
QUESTION = {"role": "user", "content": "中国的首都是哪里？"}


@pytest.fixture(scope="module")
def bundled() -> Generator:
    pytest.importorskip("llama_cpp")
    # Default settings, so other integration tests in the session share this loaded model.
    return load_generator(Config(generator="bundled"))


def test_bundled_answers_in_chinese_streaming(bundled):
    assert "北京" in "".join(bundled.stream([SYSTEM, QUESTION], max_new_tokens=16))
    # Asked for a full sentence, the answer arrives as several pieces, not one block.
    sentence = {"role": "user", "content": "中国的首都是哪里？请用一句完整的话回答。"}
    pieces = list(bundled.stream([SYSTEM, sentence], max_new_tokens=24))
    assert "北京" in "".join(pieces), pieces
    assert len(pieces) >= 3, pieces
    assert bundled.name.startswith("bundled:") and bundled.n_ctx == Config().n_ctx


def test_bundled_count_tokens_is_plausible(bundled):
    text = "北京是中华人民共和国的首都，也是全国的政治和文化中心。"
    n = bundled.count_tokens(text)
    # Qwen's BPE merges common Chinese words: fewer tokens than characters, but not absurdly few.
    assert len(text) // 4 <= n <= len(text), n
    assert bundled.count_tokens("<|im_end|>") == 1  # special tokens count as themselves
    assert bundled.count_tokens("") == 0


def test_bundled_cancel_then_ask_again(bundled):
    long_question = {"role": "user", "content": "请详细介绍一下长城的历史。"}
    stream = bundled.stream([SYSTEM, long_question], max_new_tokens=32)
    first = next(stream)
    stream.close()  # the user cancelled after the first piece
    assert first
    again = "".join(bundled.stream([SYSTEM, QUESTION], max_new_tokens=16))
    assert "北京" in again, again


def test_the_confidence_probe_records_each_greedy_token_without_changing_the_answer(bundled):
    from evals.confidence_probe import Recording

    plain = "".join(bundled.stream([SYSTEM, QUESTION], max_new_tokens=16))
    recording = Recording(bundled)
    try:
        recorded = "".join(recording.stream([SYSTEM, QUESTION], max_new_tokens=16))
    finally:
        bundled.logits_processors = []  # the module's other tests share this model
    assert recorded == plain  # the same greedy path
    tokens = recording.calls[0]
    assert "".join(t for t, _ in tokens).startswith(plain.strip()[:2])
    assert all(lp <= 0 for _, lp in tokens) and min(lp for _, lp in tokens) > -20


def test_bundled_is_loaded_once(bundled):
    assert load_generator(Config(generator="bundled")) is bundled


def test_prompt_states_are_restored_with_the_same_answer_and_without_logits(bundled):
    """Switching between two fixed prompts (as an English question does: translate, answer,
    rewrite) restores each prompt's saved state instead of processing it again, the answer
    after a restore is the one a fresh run gives, and a saved state holds no logits."""
    from rag.generate import STATE_CACHE_BYTES, stream_prepared

    other = [{"role": "system", "content": "把用户的英文问题翻译成中文问题，只输出译文。"},
             {"role": "user", "content": "Where is the capital of China?"}]
    first = "".join(stream_prepared(bundled, [SYSTEM, QUESTION], max_new_tokens=16))
    assert "".join(stream_prepared(bundled, other, max_new_tokens=24))  # evicts the first prompt from the KV cache
    restores = []
    real_load = bundled.llm.load_state
    bundled.llm.load_state = lambda state: (restores.append(state.n_tokens), real_load(state))[1]
    try:
        again = "".join(stream_prepared(bundled, [SYSTEM, QUESTION], max_new_tokens=16))
    finally:
        del bundled.llm.load_state
    assert again == first and restores, restores
    states = list(bundled.llm.cache.cache_state.values())
    assert states and all(st.scores.size == 0 for st in states)
    assert sum(st.llama_state_size for st in states) <= STATE_CACHE_BYTES


def test_a_prompt_is_evaluated_from_its_fixed_prefix_whatever_was_asked_before(bundled):
    """The same prompt, asked again after another that shares more than the fixed prefix
    with it (the same passage, another question), starts from the fixed prefix again and
    gives the same answer: llama.cpp's sums run in the same order, so a greedy answer
    cannot flip with the questions before it (it did: 21% or 14% for one question)."""
    prefix = [{"role": "system", "content": "根据资料用中文简短回答。"}]
    passage = "资料：青岚湖位于南投县东北部，是一座人工水库，于1978年完工启用，最大水深42米。\n问题："
    asked = prefix + [{"role": "user", "content": passage + "青岚湖哪一年完工？"}]
    other = prefix + [{"role": "user", "content": passage + "青岚湖最大水深多少米？"}]
    bundled.prepare(prefix)
    llm = bundled.llm
    fixed = len(llm.tokenize(bundled._prefix_text(prefix).encode("utf-8"), add_bos=False, special=True))
    assert fixed > 5
    starts: list[int] = []
    real_eval = llm.eval
    llm.eval = lambda tokens: (starts.append(llm.n_tokens), real_eval(tokens))[1]
    try:
        answers = []
        for messages in (asked, other, asked):
            starts.clear()
            answers.append("".join(bundled.stream(messages, max_new_tokens=12)))
            assert starts[0] == fixed, (starts[0], fixed)  # the prompt's first batch: right after the prefix
    finally:
        del llm.eval
    assert answers[0] == answers[2] and "1978" in answers[0]


def test_a_fixed_prefix_is_saved_once_and_restored_by_a_new_process(bundled, tmp_path):
    """`rag ask` from a shell is a new process: the system prompt + examples state is read
    from disk instead of being evaluated again, and the answer is the same."""
    prefix = [{"role": "system", "content": "你是地理助手，只用中文简短回答。"},
              {"role": "user", "content": "法国的首都是哪里？"}, {"role": "assistant", "content": "巴黎。"}]
    bundled.prefix_dir = tmp_path
    llm = bundled.llm
    llm.__dict__.pop("_rag_prepared", None)
    bundled.prepare(prefix)
    saved = list(tmp_path.glob("*.state"))
    assert len(saved) == 1 and saved[0].stat().st_size > 100_000
    first = "".join(bundled.stream(prefix + [QUESTION], max_new_tokens=16))

    # As a new process: nothing prepared, no state in memory; the prefix must come from disk.
    llm.__dict__.pop("_rag_prepared", None)
    llm.cache.cache_state.clear()
    llm.reset()
    evaluated = []
    real_eval = llm.eval
    llm.eval = lambda tokens: (evaluated.append(len(tokens)), real_eval(tokens))[1]
    try:
        bundled.prepare(prefix)
        assert not evaluated  # read, not computed
        again = "".join(bundled.stream(prefix + [QUESTION], max_new_tokens=16))
    finally:
        del llm.eval
    assert again == first and "北京" in again
    assert max(evaluated) < 40  # only the question was evaluated, not the prefix before it

    saved[0].write_bytes(b"damaged")  # a damaged file is ignored and written again
    llm.__dict__.pop("_rag_prepared", None)
    bundled.prepare(prefix)
    assert saved[0].stat().st_size > 100_000


def test_prompt_lookup_gives_the_same_answer_in_fewer_steps(bundled):
    """Prompt-lookup decoding drafts tokens from the passage: the greedy answer is the same
    as plain decoding, the model is run fewer times than it emits tokens, and prompts are
    processed without every position's logits (that cost +2.7 s to first token)."""
    from rag.generate import LlamaCppGenerator

    passage = ("截至目前,VAST工具已经服务了全球近500万专业建模师和超过4万家企业,"
               "年度经常性收入也达到1200万美元,是这一领域收入最高的公司之一。")
    messages = [{"role": "system", "content": "照抄资料中的原句回答。"},
                {"role": "user", "content": f"资料：{passage}\n问题：VAST服务了多少专业建模师和企业？请照抄原句。"}]
    plain = load_generator(Config(generator="bundled", lookup_tokens=0))
    lookup = LlamaCppGenerator(plain.path, "lookup", plain.n_ctx, lookup=4)
    assert lookup.llm is not plain.llm and lookup.llm._logits_all is False
    calls = []
    real_eval = lookup.llm.eval
    lookup.llm.eval = lambda tokens: (calls.append(len(tokens)), real_eval(tokens))[1]
    want = "".join(plain.stream(messages, max_new_tokens=48))
    got = "".join(lookup.stream(messages, max_new_tokens=48))
    assert got == want and "500万" in got
    generated = lookup.count_tokens(got)
    assert len(calls) - 1 < generated, (calls, generated)  # drafts accepted: fewer steps than tokens


# --- transformers backend on a tiny random model ----------------------------------------

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tiny_hf_folder(tmp_path_factory) -> Path:
    """A 1-layer Qwen2 with random weights and a small byte-level BPE tokenizer: enough to
    exercise loading, the chat template, streaming and cancellation, in a second."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    folder = tmp_path_factory.mktemp("tiny-qwen")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["北京是中国的首都。", "hello world, the capital", "只用中文简短回答。"], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                                pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    fast.save_pretrained(folder)
    config = transformers.Qwen2Config(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                      max_position_embeddings=512, eos_token_id=fast.eos_token_id,
                                      pad_token_id=fast.pad_token_id)
    import torch

    torch.manual_seed(0)  # the same random model every run
    transformers.Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


def test_transformers_backend_streams_and_cancels(tiny_hf_folder):
    gen = load_generator(Config(generator=str(tiny_hf_folder)))
    assert isinstance(gen, TransformersGenerator)
    assert gen.n_ctx == 512  # capped by the model's positions
    assert gen.count_tokens("北京是中国的首都。") > 0
    pieces = list(gen.stream([SYSTEM, QUESTION], max_new_tokens=6))
    assert all(isinstance(p, str) for p in pieces)
    assert len(pieces) <= 6  # at most one piece per generated token
    for _ in gen.stream([SYSTEM, QUESTION], max_new_tokens=200):
        break  # cancelled: must not block the next call
    assert isinstance("".join(gen.stream([QUESTION], max_new_tokens=3)), str)


def test_transformers_backend_bad_folder_is_a_model_error(tmp_path):
    pytest.importorskip("transformers")
    from rag.errors import ModelError

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "nonsense"}))
    with pytest.raises(ModelError, match="cannot load model folder"):
        load_generator(Config(generator=str(tmp_path)))
