package dev.sparq.tensor;

/** Element types a tensor can hold, with their ONNX TensorProto.DataType codes and NumPy descriptors. */
public enum DType {
    F32(4, 1, "<f4", true),
    F16(2, 10, "<f2", true),
    F64(8, 11, "<f8", true),
    I8(1, 3, "|i1", false),
    U8(1, 2, "|u1", false),
    I16(2, 5, "<i2", false),
    U16(2, 4, "<u2", false),
    I32(4, 6, "<i4", false),
    U32(4, 12, "<u4", false),
    I64(8, 7, "<i8", false),
    BOOL(1, 9, "|b1", false);

    private final int byteSize;
    private final int onnxCode;
    private final String npyDescr;
    private final boolean floating;

    DType(int byteSize, int onnxCode, String npyDescr, boolean floating) {
        this.byteSize = byteSize;
        this.onnxCode = onnxCode;
        this.npyDescr = npyDescr;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public int onnxCode() {
        return onnxCode;
    }

    public String npyDescr() {
        return npyDescr;
    }

    public boolean isFloating() {
        return floating;
    }

    public boolean isInteger() {
        return !floating && this != BOOL;
    }

    /** The DType for an ONNX TensorProto.DataType code, or null if sparq does not support it. */
    public static DType fromOnnx(int code) {
        for (DType t : values()) {
            if (t.onnxCode == code) {
                return t;
            }
        }
        return null;
    }

    /** Name of an ONNX data type code, for error messages about types sparq does not support. */
    public static String onnxName(int code) {
        String[] names = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
            "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
            "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
        return code >= 0 && code < names.length ? names[code] : "type " + code;
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
