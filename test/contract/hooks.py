"""schemathesis hooks of the contract test: request bodies in the media types the API takes besides JSON."""
import msgpack
import schemathesis


@schemathesis.serializer("application/msgpack")
def msgpack_serializer(ctx, value):
    # Whatever the schema generated (objects, arrays, strings, numbers, null), as MessagePack bytes.
    return {"data": msgpack.packb(value, use_bin_type=True)}
