package dev.sparq.quant;

/** How activations are quantized: int8 symmetric (zero point 0, TensorRT's choice) or uint8 asymmetric. */
public enum QuantScheme { INT8_SYMMETRIC, UINT8_ASYMMETRIC }
