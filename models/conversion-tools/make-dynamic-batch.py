#!/usr/bin/env python3
"""Gives the NanoDet ONNX model a dynamic batch dimension.

The tf2onnx conversion fixes the batch at 1 in two places: the input and output
declarations, and the shapes its Reshape nodes are given (computed at run time from
constants for the detection heads; stored as constants in the YOLOv8-interface wrapper).
This rewrites each to keep the batch of the tensor it reshapes (ONNX Reshape's 0 copies
that dimension), drops the shape computation left unused, and checks that a batch of 8
gives what 8 single-frame runs give.

Usage: make-dynamic-batch.py FIXED_BATCH_MODEL.onnx OUTPUT.onnx
Needs: onnx (1.23.2 made the shipped file), numpy, and onnxruntime for the check.
"""

import sys

import numpy as np
import onnx
import onnx.numpy_helper as numpy_helper

# Detection-head reshapes: [1, channels, -1] computed at run time in the converted graph.
HEAD_RESHAPE_SHAPES = {
    "PartitionedCall/onnx_tf_prefix_Reshape_156__123:0": [0, 80, -1],
    "PartitionedCall/onnx_tf_prefix_Reshape_181__136:0": [0, 44, -1],
}
# Wrapper reshapes stored as constants whose first element is the batch.
WRAPPER_RESHAPE_SUFFIXES = ("_rs", "_rs2")


def make_dynamic(model):
    graph = model.graph
    for value in (graph.input[0], graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    # Inferred shapes recorded by the converter say batch 1; ONNX Runtime infers them again.
    del graph.value_info[:]
    for initializer in graph.initializer:
        if initializer.name.endswith(WRAPPER_RESHAPE_SUFFIXES):
            shape = numpy_helper.to_array(initializer).copy()
            shape[0] = 0
            initializer.CopyFrom(numpy_helper.from_array(shape, initializer.name))
    for computed, shape in HEAD_RESHAPE_SHAPES.items():
        constant = computed.replace(":0", "_keep_batch")
        graph.initializer.append(numpy_helper.from_array(np.array(shape, np.int64), constant))
        rewired = 0
        for node in graph.node:
            if node.op_type == "Reshape" and node.input[1] == computed:
                node.input[1] = constant
                rewired += 1
        if rewired == 0:
            sys.exit(f"no Reshape takes its shape from {computed}: not the expected model")
    remove_unused(graph)
    onnx.checker.check_model(model)
    return model


def remove_unused(graph):
    """Drops nodes whose outputs nothing reads, then initializers nothing reads."""
    while True:
        read = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
        unused = [node for node in graph.node if not any(out in read for out in node.output)]
        if not unused:
            break
        for node in unused:
            graph.node.remove(node)
    read = {name for node in graph.node for name in node.input}
    for initializer in [i for i in graph.initializer if i.name not in read]:
        graph.initializer.remove(initializer)


def check(fixed_path, dynamic_path):
    import onnxruntime

    cpu = ["CPUExecutionProvider"]
    fixed = onnxruntime.InferenceSession(fixed_path, providers=cpu)
    dynamic = onnxruntime.InferenceSession(dynamic_path, providers=cpu)
    frames = np.random.default_rng(7).random((8, 3, 416, 416), dtype=np.float32)
    singles = np.concatenate([fixed.run(None, {"images": frames[i : i + 1]})[0] for i in range(8)])
    for batch in (1, 3, 8):
        output = dynamic.run(None, {"images": frames[:batch]})[0]
        difference = float(np.abs(output - singles[:batch]).max())
        print(f"batch {batch}: output {list(output.shape)}, largest difference from single runs {difference:.2e}")
        if output.shape[0] != batch or difference > 1e-3:
            sys.exit("the dynamic-batch model does not match the fixed-batch one")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    fixed_path, dynamic_path = sys.argv[1], sys.argv[2]
    onnx.save(make_dynamic(onnx.load(fixed_path)), dynamic_path)
    check(fixed_path, dynamic_path)


if __name__ == "__main__":
    main()
