package dev.sparq.backend.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F(4×4, 3×3) transforms on the Vector API (generated straight-line code: every intermediate is a named local so
 * the JIT keeps it in a register). Input: 8 tiles per call, gathered from the padded plane. Output: one vector of
 * output channels at a time.
 */
final class PanamaWinograd implements WinogradTransforms {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        FloatVector d00 = FloatVector.fromArray(S8, plane, 0 * wp + 0, laneBase, 0);
        FloatVector d10 = FloatVector.fromArray(S8, plane, 1 * wp + 0, laneBase, 0);
        FloatVector d20 = FloatVector.fromArray(S8, plane, 2 * wp + 0, laneBase, 0);
        FloatVector d30 = FloatVector.fromArray(S8, plane, 3 * wp + 0, laneBase, 0);
        FloatVector d40 = FloatVector.fromArray(S8, plane, 4 * wp + 0, laneBase, 0);
        FloatVector d50 = FloatVector.fromArray(S8, plane, 5 * wp + 0, laneBase, 0);
        FloatVector t00 = d00.mul(4f).sub(d20.mul(5f)).add(d40);
        FloatVector t10 = d30.add(d40).sub(d10.add(d20).mul(4f));
        FloatVector t20 = d10.sub(d20).mul(4f).sub(d30).add(d40);
        FloatVector t30 = d30.sub(d10).mul(2f).sub(d20).add(d40);
        FloatVector t40 = d10.sub(d30).mul(2f).sub(d20).add(d40);
        FloatVector t50 = d10.mul(4f).sub(d30.mul(5f)).add(d50);
        FloatVector d01 = FloatVector.fromArray(S8, plane, 0 * wp + 1, laneBase, 0);
        FloatVector d11 = FloatVector.fromArray(S8, plane, 1 * wp + 1, laneBase, 0);
        FloatVector d21 = FloatVector.fromArray(S8, plane, 2 * wp + 1, laneBase, 0);
        FloatVector d31 = FloatVector.fromArray(S8, plane, 3 * wp + 1, laneBase, 0);
        FloatVector d41 = FloatVector.fromArray(S8, plane, 4 * wp + 1, laneBase, 0);
        FloatVector d51 = FloatVector.fromArray(S8, plane, 5 * wp + 1, laneBase, 0);
        FloatVector t01 = d01.mul(4f).sub(d21.mul(5f)).add(d41);
        FloatVector t11 = d31.add(d41).sub(d11.add(d21).mul(4f));
        FloatVector t21 = d11.sub(d21).mul(4f).sub(d31).add(d41);
        FloatVector t31 = d31.sub(d11).mul(2f).sub(d21).add(d41);
        FloatVector t41 = d11.sub(d31).mul(2f).sub(d21).add(d41);
        FloatVector t51 = d11.mul(4f).sub(d31.mul(5f)).add(d51);
        FloatVector d02 = FloatVector.fromArray(S8, plane, 0 * wp + 2, laneBase, 0);
        FloatVector d12 = FloatVector.fromArray(S8, plane, 1 * wp + 2, laneBase, 0);
        FloatVector d22 = FloatVector.fromArray(S8, plane, 2 * wp + 2, laneBase, 0);
        FloatVector d32 = FloatVector.fromArray(S8, plane, 3 * wp + 2, laneBase, 0);
        FloatVector d42 = FloatVector.fromArray(S8, plane, 4 * wp + 2, laneBase, 0);
        FloatVector d52 = FloatVector.fromArray(S8, plane, 5 * wp + 2, laneBase, 0);
        FloatVector t02 = d02.mul(4f).sub(d22.mul(5f)).add(d42);
        FloatVector t12 = d32.add(d42).sub(d12.add(d22).mul(4f));
        FloatVector t22 = d12.sub(d22).mul(4f).sub(d32).add(d42);
        FloatVector t32 = d32.sub(d12).mul(2f).sub(d22).add(d42);
        FloatVector t42 = d12.sub(d32).mul(2f).sub(d22).add(d42);
        FloatVector t52 = d12.mul(4f).sub(d32.mul(5f)).add(d52);
        FloatVector d03 = FloatVector.fromArray(S8, plane, 0 * wp + 3, laneBase, 0);
        FloatVector d13 = FloatVector.fromArray(S8, plane, 1 * wp + 3, laneBase, 0);
        FloatVector d23 = FloatVector.fromArray(S8, plane, 2 * wp + 3, laneBase, 0);
        FloatVector d33 = FloatVector.fromArray(S8, plane, 3 * wp + 3, laneBase, 0);
        FloatVector d43 = FloatVector.fromArray(S8, plane, 4 * wp + 3, laneBase, 0);
        FloatVector d53 = FloatVector.fromArray(S8, plane, 5 * wp + 3, laneBase, 0);
        FloatVector t03 = d03.mul(4f).sub(d23.mul(5f)).add(d43);
        FloatVector t13 = d33.add(d43).sub(d13.add(d23).mul(4f));
        FloatVector t23 = d13.sub(d23).mul(4f).sub(d33).add(d43);
        FloatVector t33 = d33.sub(d13).mul(2f).sub(d23).add(d43);
        FloatVector t43 = d13.sub(d33).mul(2f).sub(d23).add(d43);
        FloatVector t53 = d13.mul(4f).sub(d33.mul(5f)).add(d53);
        FloatVector d04 = FloatVector.fromArray(S8, plane, 0 * wp + 4, laneBase, 0);
        FloatVector d14 = FloatVector.fromArray(S8, plane, 1 * wp + 4, laneBase, 0);
        FloatVector d24 = FloatVector.fromArray(S8, plane, 2 * wp + 4, laneBase, 0);
        FloatVector d34 = FloatVector.fromArray(S8, plane, 3 * wp + 4, laneBase, 0);
        FloatVector d44 = FloatVector.fromArray(S8, plane, 4 * wp + 4, laneBase, 0);
        FloatVector d54 = FloatVector.fromArray(S8, plane, 5 * wp + 4, laneBase, 0);
        FloatVector t04 = d04.mul(4f).sub(d24.mul(5f)).add(d44);
        FloatVector t14 = d34.add(d44).sub(d14.add(d24).mul(4f));
        FloatVector t24 = d14.sub(d24).mul(4f).sub(d34).add(d44);
        FloatVector t34 = d34.sub(d14).mul(2f).sub(d24).add(d44);
        FloatVector t44 = d14.sub(d34).mul(2f).sub(d24).add(d44);
        FloatVector t54 = d14.mul(4f).sub(d34.mul(5f)).add(d54);
        FloatVector d05 = FloatVector.fromArray(S8, plane, 0 * wp + 5, laneBase, 0);
        FloatVector d15 = FloatVector.fromArray(S8, plane, 1 * wp + 5, laneBase, 0);
        FloatVector d25 = FloatVector.fromArray(S8, plane, 2 * wp + 5, laneBase, 0);
        FloatVector d35 = FloatVector.fromArray(S8, plane, 3 * wp + 5, laneBase, 0);
        FloatVector d45 = FloatVector.fromArray(S8, plane, 4 * wp + 5, laneBase, 0);
        FloatVector d55 = FloatVector.fromArray(S8, plane, 5 * wp + 5, laneBase, 0);
        FloatVector t05 = d05.mul(4f).sub(d25.mul(5f)).add(d45);
        FloatVector t15 = d35.add(d45).sub(d15.add(d25).mul(4f));
        FloatVector t25 = d15.sub(d25).mul(4f).sub(d35).add(d45);
        FloatVector t35 = d35.sub(d15).mul(2f).sub(d25).add(d45);
        FloatVector t45 = d15.sub(d35).mul(2f).sub(d25).add(d45);
        FloatVector t55 = d15.mul(4f).sub(d35.mul(5f)).add(d55);
        t00.mul(4f).sub(t02.mul(5f)).add(t04).intoArray(dst, dstBase + 0 * pStride);
        t03.add(t04).sub(t01.add(t02).mul(4f)).intoArray(dst, dstBase + 1 * pStride);
        t01.sub(t02).mul(4f).sub(t03).add(t04).intoArray(dst, dstBase + 2 * pStride);
        t03.sub(t01).mul(2f).sub(t02).add(t04).intoArray(dst, dstBase + 3 * pStride);
        t01.sub(t03).mul(2f).sub(t02).add(t04).intoArray(dst, dstBase + 4 * pStride);
        t01.mul(4f).sub(t03.mul(5f)).add(t05).intoArray(dst, dstBase + 5 * pStride);
        t10.mul(4f).sub(t12.mul(5f)).add(t14).intoArray(dst, dstBase + 6 * pStride);
        t13.add(t14).sub(t11.add(t12).mul(4f)).intoArray(dst, dstBase + 7 * pStride);
        t11.sub(t12).mul(4f).sub(t13).add(t14).intoArray(dst, dstBase + 8 * pStride);
        t13.sub(t11).mul(2f).sub(t12).add(t14).intoArray(dst, dstBase + 9 * pStride);
        t11.sub(t13).mul(2f).sub(t12).add(t14).intoArray(dst, dstBase + 10 * pStride);
        t11.mul(4f).sub(t13.mul(5f)).add(t15).intoArray(dst, dstBase + 11 * pStride);
        t20.mul(4f).sub(t22.mul(5f)).add(t24).intoArray(dst, dstBase + 12 * pStride);
        t23.add(t24).sub(t21.add(t22).mul(4f)).intoArray(dst, dstBase + 13 * pStride);
        t21.sub(t22).mul(4f).sub(t23).add(t24).intoArray(dst, dstBase + 14 * pStride);
        t23.sub(t21).mul(2f).sub(t22).add(t24).intoArray(dst, dstBase + 15 * pStride);
        t21.sub(t23).mul(2f).sub(t22).add(t24).intoArray(dst, dstBase + 16 * pStride);
        t21.mul(4f).sub(t23.mul(5f)).add(t25).intoArray(dst, dstBase + 17 * pStride);
        t30.mul(4f).sub(t32.mul(5f)).add(t34).intoArray(dst, dstBase + 18 * pStride);
        t33.add(t34).sub(t31.add(t32).mul(4f)).intoArray(dst, dstBase + 19 * pStride);
        t31.sub(t32).mul(4f).sub(t33).add(t34).intoArray(dst, dstBase + 20 * pStride);
        t33.sub(t31).mul(2f).sub(t32).add(t34).intoArray(dst, dstBase + 21 * pStride);
        t31.sub(t33).mul(2f).sub(t32).add(t34).intoArray(dst, dstBase + 22 * pStride);
        t31.mul(4f).sub(t33.mul(5f)).add(t35).intoArray(dst, dstBase + 23 * pStride);
        t40.mul(4f).sub(t42.mul(5f)).add(t44).intoArray(dst, dstBase + 24 * pStride);
        t43.add(t44).sub(t41.add(t42).mul(4f)).intoArray(dst, dstBase + 25 * pStride);
        t41.sub(t42).mul(4f).sub(t43).add(t44).intoArray(dst, dstBase + 26 * pStride);
        t43.sub(t41).mul(2f).sub(t42).add(t44).intoArray(dst, dstBase + 27 * pStride);
        t41.sub(t43).mul(2f).sub(t42).add(t44).intoArray(dst, dstBase + 28 * pStride);
        t41.mul(4f).sub(t43.mul(5f)).add(t45).intoArray(dst, dstBase + 29 * pStride);
        t50.mul(4f).sub(t52.mul(5f)).add(t54).intoArray(dst, dstBase + 30 * pStride);
        t53.add(t54).sub(t51.add(t52).mul(4f)).intoArray(dst, dstBase + 31 * pStride);
        t51.sub(t52).mul(4f).sub(t53).add(t54).intoArray(dst, dstBase + 32 * pStride);
        t53.sub(t51).mul(2f).sub(t52).add(t54).intoArray(dst, dstBase + 33 * pStride);
        t51.sub(t53).mul(2f).sub(t52).add(t54).intoArray(dst, dstBase + 34 * pStride);
        t51.mul(4f).sub(t53.mul(5f)).add(t55).intoArray(dst, dstBase + 35 * pStride);
    }

    @Override
    public void output(float[] m, int mBase, int pStride, int count, float[] bias, int c0, float min, float max,
                       float[] out, int stride) {
        for (int j0 = 0; j0 < count; j0 += V) {
            VectorMask<Float> mask = S.indexInRange(j0, count);
            int at = mBase + j0;
            FloatVector b = FloatVector.fromArray(S, bias, c0 + j0, S.indexInRange(c0 + j0, bias.length).and(mask));
            FloatVector m00 = FloatVector.fromArray(S, m, at + 0 * pStride, mask);
            FloatVector m10 = FloatVector.fromArray(S, m, at + 6 * pStride, mask);
            FloatVector m20 = FloatVector.fromArray(S, m, at + 12 * pStride, mask);
            FloatVector m30 = FloatVector.fromArray(S, m, at + 18 * pStride, mask);
            FloatVector m40 = FloatVector.fromArray(S, m, at + 24 * pStride, mask);
            FloatVector m50 = FloatVector.fromArray(S, m, at + 30 * pStride, mask);
            FloatVector t00 = m00.add(m10).add(m20).add(m30).add(m40);
            FloatVector t10 = m10.sub(m20).add(m30.sub(m40).mul(2f));
            FloatVector t20 = m10.add(m20).add(m30.add(m40).mul(4f));
            FloatVector t30 = m10.sub(m20).add(m30.sub(m40).mul(8f)).add(m50);
            FloatVector m01 = FloatVector.fromArray(S, m, at + 1 * pStride, mask);
            FloatVector m11 = FloatVector.fromArray(S, m, at + 7 * pStride, mask);
            FloatVector m21 = FloatVector.fromArray(S, m, at + 13 * pStride, mask);
            FloatVector m31 = FloatVector.fromArray(S, m, at + 19 * pStride, mask);
            FloatVector m41 = FloatVector.fromArray(S, m, at + 25 * pStride, mask);
            FloatVector m51 = FloatVector.fromArray(S, m, at + 31 * pStride, mask);
            FloatVector t01 = m01.add(m11).add(m21).add(m31).add(m41);
            FloatVector t11 = m11.sub(m21).add(m31.sub(m41).mul(2f));
            FloatVector t21 = m11.add(m21).add(m31.add(m41).mul(4f));
            FloatVector t31 = m11.sub(m21).add(m31.sub(m41).mul(8f)).add(m51);
            FloatVector m02 = FloatVector.fromArray(S, m, at + 2 * pStride, mask);
            FloatVector m12 = FloatVector.fromArray(S, m, at + 8 * pStride, mask);
            FloatVector m22 = FloatVector.fromArray(S, m, at + 14 * pStride, mask);
            FloatVector m32 = FloatVector.fromArray(S, m, at + 20 * pStride, mask);
            FloatVector m42 = FloatVector.fromArray(S, m, at + 26 * pStride, mask);
            FloatVector m52 = FloatVector.fromArray(S, m, at + 32 * pStride, mask);
            FloatVector t02 = m02.add(m12).add(m22).add(m32).add(m42);
            FloatVector t12 = m12.sub(m22).add(m32.sub(m42).mul(2f));
            FloatVector t22 = m12.add(m22).add(m32.add(m42).mul(4f));
            FloatVector t32 = m12.sub(m22).add(m32.sub(m42).mul(8f)).add(m52);
            FloatVector m03 = FloatVector.fromArray(S, m, at + 3 * pStride, mask);
            FloatVector m13 = FloatVector.fromArray(S, m, at + 9 * pStride, mask);
            FloatVector m23 = FloatVector.fromArray(S, m, at + 15 * pStride, mask);
            FloatVector m33 = FloatVector.fromArray(S, m, at + 21 * pStride, mask);
            FloatVector m43 = FloatVector.fromArray(S, m, at + 27 * pStride, mask);
            FloatVector m53 = FloatVector.fromArray(S, m, at + 33 * pStride, mask);
            FloatVector t03 = m03.add(m13).add(m23).add(m33).add(m43);
            FloatVector t13 = m13.sub(m23).add(m33.sub(m43).mul(2f));
            FloatVector t23 = m13.add(m23).add(m33.add(m43).mul(4f));
            FloatVector t33 = m13.sub(m23).add(m33.sub(m43).mul(8f)).add(m53);
            FloatVector m04 = FloatVector.fromArray(S, m, at + 4 * pStride, mask);
            FloatVector m14 = FloatVector.fromArray(S, m, at + 10 * pStride, mask);
            FloatVector m24 = FloatVector.fromArray(S, m, at + 16 * pStride, mask);
            FloatVector m34 = FloatVector.fromArray(S, m, at + 22 * pStride, mask);
            FloatVector m44 = FloatVector.fromArray(S, m, at + 28 * pStride, mask);
            FloatVector m54 = FloatVector.fromArray(S, m, at + 34 * pStride, mask);
            FloatVector t04 = m04.add(m14).add(m24).add(m34).add(m44);
            FloatVector t14 = m14.sub(m24).add(m34.sub(m44).mul(2f));
            FloatVector t24 = m14.add(m24).add(m34.add(m44).mul(4f));
            FloatVector t34 = m14.sub(m24).add(m34.sub(m44).mul(8f)).add(m54);
            FloatVector m05 = FloatVector.fromArray(S, m, at + 5 * pStride, mask);
            FloatVector m15 = FloatVector.fromArray(S, m, at + 11 * pStride, mask);
            FloatVector m25 = FloatVector.fromArray(S, m, at + 17 * pStride, mask);
            FloatVector m35 = FloatVector.fromArray(S, m, at + 23 * pStride, mask);
            FloatVector m45 = FloatVector.fromArray(S, m, at + 29 * pStride, mask);
            FloatVector m55 = FloatVector.fromArray(S, m, at + 35 * pStride, mask);
            FloatVector t05 = m05.add(m15).add(m25).add(m35).add(m45);
            FloatVector t15 = m15.sub(m25).add(m35.sub(m45).mul(2f));
            FloatVector t25 = m15.add(m25).add(m35.add(m45).mul(4f));
            FloatVector t35 = m15.sub(m25).add(m35.sub(m45).mul(8f)).add(m55);
            t00.add(t01).add(t02).add(t03).add(t04).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 0 * stride + j0, mask);
            t01.sub(t02).add(t03.sub(t04).mul(2f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 1 * stride + j0, mask);
            t01.add(t02).add(t03.add(t04).mul(4f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 2 * stride + j0, mask);
            t01.sub(t02).add(t03.sub(t04).mul(8f)).add(t05).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 3 * stride + j0, mask);
            t10.add(t11).add(t12).add(t13).add(t14).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 4 * stride + j0, mask);
            t11.sub(t12).add(t13.sub(t14).mul(2f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 5 * stride + j0, mask);
            t11.add(t12).add(t13.add(t14).mul(4f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 6 * stride + j0, mask);
            t11.sub(t12).add(t13.sub(t14).mul(8f)).add(t15).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 7 * stride + j0, mask);
            t20.add(t21).add(t22).add(t23).add(t24).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 8 * stride + j0, mask);
            t21.sub(t22).add(t23.sub(t24).mul(2f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 9 * stride + j0, mask);
            t21.add(t22).add(t23.add(t24).mul(4f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 10 * stride + j0, mask);
            t21.sub(t22).add(t23.sub(t24).mul(8f)).add(t25).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 11 * stride + j0, mask);
            t30.add(t31).add(t32).add(t33).add(t34).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 12 * stride + j0, mask);
            t31.sub(t32).add(t33.sub(t34).mul(2f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 13 * stride + j0, mask);
            t31.add(t32).add(t33.add(t34).mul(4f)).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 14 * stride + j0, mask);
            t31.sub(t32).add(t33.sub(t34).mul(8f)).add(t35).add(b).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoArray(out, 15 * stride + j0, mask);
        }
    }
}
