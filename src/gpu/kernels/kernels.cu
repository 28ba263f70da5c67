// Image kernels of the GPU owner, compiled at start-up by NVRTC.
//
// Every kernel reads decoded NV12 (BT.601 limited range, as the software decoder
// converts it) straight from the decoder's mapped surface and writes one output
// element per thread; launch geometry lives in geometry.rs.

typedef unsigned char u8;

// One NV12 picture in device memory.
struct Nv12 {
    const u8* luma;
    const u8* chroma;
    int pitch;
    int width;
    int height;
};

__device__ __forceinline__ int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
__device__ __forceinline__ float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// RGB (0..255, unrounded) of pixel (x, y), clamped to the picture.
__device__ float3 nv12_rgb(const Nv12& f, int x, int y) {
    x = clampi(x, 0, f.width - 1);
    y = clampi(y, 0, f.height - 1);
    float luma = (float)f.luma[y * f.pitch + x];
    const u8* uv = f.chroma + (y >> 1) * f.pitch + (x & ~1);
    float u = (float)uv[0] - 128.0f;
    float v = (float)uv[1] - 128.0f;
    float c = (luma - 16.0f) * 1.164383f;
    return make_float3(clampf(c + 1.596027f * v, 0.0f, 255.0f),
                       clampf(c - 0.391762f * u - 0.812968f * v, 0.0f, 255.0f),
                       clampf(c + 2.017232f * u, 0.0f, 255.0f));
}

// Resampling filters; the support widens by the downscale factor so shrinking averages.
__device__ __forceinline__ float triangle(float x) {
    x = fabsf(x);
    return x < 1.0f ? 1.0f - x : 0.0f;
}
__device__ __forceinline__ float catmull_rom(float x) {
    x = fabsf(x);
    if (x < 1.0f) return (1.5f * x - 2.5f) * x * x + 1.0f;
    if (x < 2.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
    return 0.0f;
}

// Source RGB at the centre of output pixel (ox, oy) of a `out_w`x`out_h` image that shows the
// source rectangle (cx, cy, cw, ch); `cubic` selects Catmull-Rom, else the triangle filter.
__device__ float3 resample(const Nv12& f, float cx, float cy, float cw, float ch, int out_w, int out_h,
                           int ox, int oy, bool cubic) {
    float scale_x = cw / (float)out_w;
    float scale_y = ch / (float)out_h;
    float sx = cx + ((float)ox + 0.5f) * scale_x - 0.5f;
    float sy = cy + ((float)oy + 0.5f) * scale_y - 0.5f;
    float stretch_x = fmaxf(scale_x, 1.0f);
    float stretch_y = fmaxf(scale_y, 1.0f);
    float radius = cubic ? 2.0f : 1.0f;
    int x0 = (int)floorf(sx - radius * stretch_x) + 1;
    int x1 = (int)floorf(sx + radius * stretch_x);
    int y0 = (int)floorf(sy - radius * stretch_y) + 1;
    int y1 = (int)floorf(sy + radius * stretch_y);
    float3 sum = make_float3(0.0f, 0.0f, 0.0f);
    float total = 0.0f;
    for (int y = y0; y <= y1; ++y) {
        float dy = ((float)y - sy) / stretch_y;
        float wy = cubic ? catmull_rom(dy) : triangle(dy);
        if (wy == 0.0f) continue;
        for (int x = x0; x <= x1; ++x) {
            float dx = ((float)x - sx) / stretch_x;
            float w = wy * (cubic ? catmull_rom(dx) : triangle(dx));
            if (w == 0.0f) continue;
            float3 p = nv12_rgb(f, x, y);
            sum.x += w * p.x;
            sum.y += w * p.y;
            sum.z += w * p.z;
            total += w;
        }
    }
    float inv = total != 0.0f ? 1.0f / total : 0.0f;
    return make_float3(clampf(sum.x * inv, 0.0f, 255.0f), clampf(sum.y * inv, 0.0f, 255.0f),
                       clampf(sum.z * inv, 0.0f, 255.0f));
}

// The detector input: the whole picture scaled (triangle filter) into the content rectangle of a
// planar RGB float tensor in 0..1, `pad` around it. One thread per tensor pixel.
extern "C" __global__ void letterbox_chw(Nv12 f, float* dst, int dst_w, int dst_h, int left, int top,
                                         int content_w, int content_h, float pad) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= dst_w || y >= dst_h) return;
    int plane = dst_w * dst_h;
    int at = y * dst_w + x;
    int cx = x - left;
    int cy = y - top;
    if (cx < 0 || cy < 0 || cx >= content_w || cy >= content_h) {
        dst[at] = pad;
        dst[plane + at] = pad;
        dst[2 * plane + at] = pad;
        return;
    }
    float3 p = resample(f, 0.0f, 0.0f, (float)f.width, (float)f.height, content_w, content_h, cx, cy, false);
    // The software path rounds to bytes before scaling; so does this one.
    dst[at] = rintf(p.x) * (1.0f / 255.0f);
    dst[plane + at] = rintf(p.y) * (1.0f / 255.0f);
    dst[2 * plane + at] = rintf(p.z) * (1.0f / 255.0f);
}

// A source rectangle scaled (Catmull-Rom) to fill a `region_w`x`region_h` area at
// (`region_x`, `region_y`) of an interleaved RGB image with rows of `dst_pitch` bytes.
extern "C" __global__ void crop_resize_rgb(Nv12 f, float crop_x, float crop_y, float crop_w, float crop_h,
                                           u8* dst, int dst_pitch, int region_x, int region_y, int region_w,
                                           int region_h) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= region_w || y >= region_h) return;
    float3 p = resample(f, crop_x, crop_y, crop_w, crop_h, region_w, region_h, x, y, true);
    u8* out = dst + (region_y + y) * dst_pitch + (region_x + x) * 3;
    out[0] = (u8)rintf(p.x);
    out[1] = (u8)rintf(p.y);
    out[2] = (u8)rintf(p.z);
}

// Fills an interleaved RGB image with one value (black bars around a letterboxed picture).
extern "C" __global__ void fill_rgb(u8* dst, int dst_pitch, int width, int height, u8 value) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= width * 3 || y >= height) return;
    dst[y * dst_pitch + x] = value;
}

// The motion thumbnail: each pixel the BT.601 luma (16.16 fixed point, rounded) of the mean RGB
// of the picture area it covers; areas split the picture as evenly as integers allow.
extern "C" __global__ void grey_thumbnail(Nv12 f, u8* dst, int thumb_w, int thumb_h) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= thumb_w || y >= thumb_h) return;
    int x0 = (int)((long long)x * f.width / thumb_w);
    int x1 = (int)((long long)(x + 1) * f.width / thumb_w);
    int y0 = (int)((long long)y * f.height / thumb_h);
    int y1 = (int)((long long)(y + 1) * f.height / thumb_h);
    unsigned long long r = 0, g = 0, b = 0;
    for (int sy = y0; sy < y1; ++sy) {
        for (int sx = x0; sx < x1; ++sx) {
            float3 p = nv12_rgb(f, sx, sy);
            r += (unsigned long long)rintf(p.x);
            g += (unsigned long long)rintf(p.y);
            b += (unsigned long long)rintf(p.z);
        }
    }
    unsigned long long denominator = (unsigned long long)(y1 - y0) * (x1 - x0) * 65536ull;
    unsigned long long weighted = r * 19595ull + g * 38470ull + b * 7471ull;
    dst[y * thumb_w + x] = (u8)((weighted + denominator / 2) / denominator);
}

// Motion against the clip's background model, three kernels that repeat src/motion/background.rs
// operation for operation (integer arithmetic only, so the masks are bit-identical to the CPU's).

// 3x3 Gaussian blur [1 2 1] x [1 2 1] / 16 of the grey thumbnail, edges repeated,
// (sum + 8) >> 4. One thread per pixel.
extern "C" __global__ void motion_blur(const u8* grey, int width, int height, u8* blurred) {
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= width * height) return;
    int y = index / width;
    int x = index % width;
    int rows[3] = {y > 0 ? y - 1 : 0, y, y + 1 < height ? y + 1 : height - 1};
    int columns[3] = {x > 0 ? x - 1 : 0, x, x + 1 < width ? x + 1 : width - 1};
    const unsigned int weights[3] = {1u, 2u, 1u};
    unsigned int sum = 0;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) sum += weights[r] * weights[c] * (unsigned int)grey[rows[r] * width + columns[c]];
    blurred[index] = (u8)((sum + 8u) >> 4);
}

// Background step per pixel (8.8 fixed point). `seed` != 0: average = blurred << 8, nothing
// moves. Otherwise delta = (blurred << 8) - average; moving = |delta| > threshold << 8 (against
// the background before this frame); average += (delta * alpha + 128) >> 8 (arithmetic shift),
// alpha in 1/256ths. One thread per pixel.
extern "C" __global__ void motion_background(const u8* blurred, unsigned short* average, int count, int alpha,
                                             int threshold, int seed, u8* moving) {
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= count) return;
    int value = (int)blurred[index] << 8;
    if (seed) {
        average[index] = (unsigned short)value;
        moving[index] = 0;
        return;
    }
    int previous = (int)average[index];
    int delta = value - previous;
    average[index] = (unsigned short)(previous + ((delta * alpha + 128) >> 8));
    int limit = threshold << 8;
    moving[index] = (delta > limit || -delta > limit) ? 1 : 0;
}

// 3x3 dilation of `moving`, bit-packed: bit (x % 8) of byte (y * row_bytes + x / 8) is set where
// any pixel of the 3x3 neighbourhood inside the thumbnail moves. One thread per mask byte.
extern "C" __global__ void motion_dilate_bits(const u8* moving, int width, int height, int row_bytes, u8* bits) {
    int index = blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= row_bytes * height) return;
    int y = index / row_bytes;
    int x0 = (index % row_bytes) * 8;
    int y_first = y > 0 ? y - 1 : 0;
    int y_last = y + 1 < height ? y + 1 : height - 1;
    u8 byte = 0;
    for (int bit = 0; bit < 8 && x0 + bit < width; ++bit) {
        int x = x0 + bit;
        int x_first = x > 0 ? x - 1 : 0;
        int x_last = x + 1 < width ? x + 1 : width - 1;
        int any = 0;
        for (int row = y_first; row <= y_last; ++row)
            for (int column = x_first; column <= x_last; ++column) any |= moving[row * width + column];
        if (any) byte |= (u8)(1 << bit);
    }
    bits[index] = byte;
}

// The timestamp text: darkens by the outline coverage, then lights by the fill coverage, both
// rasterised once on the CPU; integer blending identical to the software overlay.
extern "C" __global__ void blend_text(u8* frame, int frame_pitch, int frame_w, int frame_h, const u8* fill,
                                      const u8* outline, int sprite_w, int sprite_h, int origin) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= sprite_w || y >= sprite_h || origin + x >= frame_w || origin + y >= frame_h) return;
    unsigned int dark = outline[y * sprite_w + x];
    if (dark == 0) return;
    unsigned int light = fill[y * sprite_w + x];
    u8* px = frame + (origin + y) * frame_pitch + (origin + x) * 3;
    for (int c = 0; c < 3; ++c) {
        unsigned int darkened = ((unsigned int)px[c] * (255u - dark) + 127u) / 255u;
        unsigned int lit = darkened * (255u - light) + 255u * light;
        px[c] = (u8)((lit + 127u) / 255u);
    }
}

// RGB → planar YUV 4:2:0, BT.601 limited range, the integers of render/yuv.rs: one thread
// per 2x2 block writes its four luma values and the block's chroma pair.
extern "C" __global__ void rgb_to_i420(const u8* rgb, int pitch, int width, int height, u8* planes) {
    int bx = blockIdx.x * blockDim.x + threadIdx.x;
    int by = blockIdx.y * blockDim.y + threadIdx.y;
    int chroma_w = width / 2;
    if (bx >= chroma_w || by >= height / 2) return;
    u8* y_plane = planes;
    u8* u_plane = planes + width * height;
    u8* v_plane = u_plane + chroma_w * (height / 2);
    int sum[3] = {0, 0, 0};
    for (int dy = 0; dy < 2; ++dy) {
        for (int dx = 0; dx < 2; ++dx) {
            int x = bx * 2 + dx, y = by * 2 + dy;
            const u8* p = rgb + y * pitch + x * 3;
            int r = p[0], g = p[1], b = p[2];
            y_plane[y * width + x] = (u8)(16 + ((66 * r + 129 * g + 25 * b + 128) >> 8));
            sum[0] += r; sum[1] += g; sum[2] += b;
        }
    }
    int r = (sum[0] + 2) / 4, g = (sum[1] + 2) / 4, b = (sum[2] + 2) / 4;
    int u = 128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8);
    int v = 128 + ((112 * r - 94 * g - 18 * b + 128) >> 8);
    u_plane[by * chroma_w + bx] = (u8)(u < 0 ? 0 : (u > 255 ? 255 : u));
    v_plane[by * chroma_w + bx] = (u8)(v < 0 ? 0 : (v > 255 ? 255 : v));
}
