# frigate-buffer's container image. One image for every host: with the NVIDIA container toolkit
# (`docker run --gpus all`, or compose's GPU reservation) it runs the NVIDIA backend; without a
# GPU it runs on the CPU. The build runs the same scripts/setup.sh as a bare-metal install, asking
# for ONNX Runtime's GPU build and the CUDA libraries from NVIDIA's wheels (the driver itself comes
# from the host at run time). `--build-arg ONNXRUNTIME=cpu` makes a much smaller CPU-only image.
#
#   docker build -t frigate-buffer .
#   docker run --gpus all -v ./config.yml:/config/config.yml:ro \
#     -v /media/frigate-buffer:/media/frigate-buffer -p 5055:5055 frigate-buffer
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
ARG ONNXRUNTIME=gpu
WORKDIR /src
COPY scripts/ scripts/
RUN bash scripts/setup.sh --onnxruntime "${ONNXRUNTIME}" \
    && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src/ src/
COPY benches/ benches/
COPY examples/ examples/
COPY assets/ assets/
COPY pipelines/ pipelines/
COPY models/ models/
RUN PATH="$HOME/.cargo/bin:$PATH" cargo build --release --locked --bin frigate-buffer \
    && strip target/release/frigate-buffer

FROM ${DEBIAN_IMAGE}
# Run-time packages only: FFmpeg (CPU decode, libx264, the preview GIF), TLS roots for MQTT and
# AI endpoints, time zones for the overlay's local time.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       ffmpeg ca-certificates tzdata libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin frigate-buffer \
    && mkdir -p /media/frigate-buffer /config \
    && chown frigate-buffer /media/frigate-buffer
WORKDIR /app
COPY --from=build /src/target/release/frigate-buffer /app/frigate-buffer
COPY --from=build /src/.ort/ /app/.ort/
COPY models/ /app/models/
# The API listens on every interface of the container (publish the port to choose who reaches it);
# TensorRT engines are cached in the storage volume (the user cannot write /app, and an engine
# takes minutes to build, so it should outlive the container); the NVIDIA container toolkit mounts the driver's compute and video (NVDEC/NVENC) libraries.
ENV API_HOST=0.0.0.0 \
    STORAGE_PATH=/media/frigate-buffer \
    FRIGATE_BUFFER_CACHE=/media/frigate-buffer/.cache \
    FRIGATE_BUFFER_CONFIG=/config/config.yml \
    TZ=Etc/UTC \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,video,utility
USER frigate-buffer
VOLUME ["/media/frigate-buffer"]
EXPOSE 5055
ENTRYPOINT ["/app/frigate-buffer"]
CMD ["run"]
