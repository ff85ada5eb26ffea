package dev.sparq.quant;

/** Quantization parameters of one activation tensor: {@code q = saturate(round_half_even(x / scale) + zeroPoint)}. */
public record TensorQuant(String name, float scale, int zeroPoint, dev.sparq.tensor.DType dtype) { }
