"""The on-disk format of saved prompt-prefix states (rag/generate/prefix_store.py)."""
from rag.generate import prefix_store


def test_roundtrip_and_damaged_files_read_as_none(tmp_path):
    p = tmp_path / "x.state"
    prefix_store.write(p, [1, 2, 151643], 3, 42, b"\x00state\xff" * 10)
    assert prefix_store.read(p) == ([1, 2, 151643], 3, 42, b"\x00state\xff" * 10)
    data = p.read_bytes()
    for bad in (data[:-1], data + b"x", b"garbage", b""):
        p.write_bytes(bad)
        assert prefix_store.read(p) is None
    assert prefix_store.read(tmp_path / "missing.state") is None
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, no leftovers


def test_key_changes_with_model_file_context_and_prefix(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"a")
    k = prefix_store.key(model, 4096, "系统提示")
    assert k == prefix_store.key(model, 4096, "系统提示") and k.endswith(".state")
    assert k != prefix_store.key(model, 2048, "系统提示") != prefix_store.key(model, 4096, "另一个提示")
    model.write_bytes(b"ab")  # a different model file
    assert k != prefix_store.key(model, 4096, "系统提示")
