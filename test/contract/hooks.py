"""schemathesis hooks of the contract test: request bodies in the media types the API takes besides JSON."""
import msgpack
import schemathesis


def _wide(value):
    # MessagePack integers stop at 64 bits; a wider one (generated for negative cases) goes as a float,
    # which is as far out of every range in the schemas.
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, list):
        return [_wide(v) for v in value]
    if isinstance(value, dict):
        return {k: _wide(v) for k, v in value.items()}
    return value


@schemathesis.serializer("application/msgpack")
def msgpack_serializer(ctx, value):
    # Whatever the schema generated (objects, arrays, strings, numbers, null), as MessagePack bytes.
    return {"data": msgpack.packb(_wide(value), use_bin_type=True)}
