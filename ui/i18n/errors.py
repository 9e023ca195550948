"""Reasons named by core errors (core.errors.LabError.code), shown inside the pages' own sentences."""

EN = {
    "error.weights_corrupt": "the model file (model.safetensors) is damaged or cut short",
    "error.not_ours": "the model file was not written by MNIST Lab",
    "error.arch_mismatch": "the weights are for the architecture {weights}, but its settings say {config}",
    "error.weights_mismatch": "the weights do not fit the architecture {arch} that its settings name",
    "error.config_bad": "its settings file (config.json) is not a valid MNIST Lab configuration",
    "error.metrics_bad": "its training history (metrics.jsonl) is damaged",
    "error.missing_files": "it is not an MNIST Lab run: {files} missing",
    "error.no_run": "there is no readable run at {folder}",
    "error.not_zip": "the file is not a zip archive",
    "error.too_large": "the zip is too large to be a run",
    "error.many_runs": "the zip holds {n} runs; upload one run at a time",
    "error.damaged": "the zip is damaged",
    "error.image_unreadable": "the file is not an image that can be read (use PNG or JPEG)",
    "error.class_set_empty": "the class test set is empty: save some drawings first",
    "error.fine_tune_unsupported": "this kind of model cannot be fine-tuned",
}

ZH = {
    "error.weights_corrupt": "模型文件（model.safetensors）已损坏或不完整",
    "error.not_ours": "该模型文件不是由 MNIST 实验室生成的",
    "error.arch_mismatch": "权重属于网络结构 {weights}，但它的设置写的是 {config}",
    "error.weights_mismatch": "权重与其设置中的网络结构 {arch} 不匹配",
    "error.config_bad": "它的设置文件（config.json）不是有效的 MNIST 实验室配置",
    "error.metrics_bad": "它的训练历史（metrics.jsonl）已损坏",
    "error.missing_files": "这不是 MNIST 实验室的训练记录：缺少 {files}",
    "error.no_run": "{folder} 处没有可读取的训练记录",
    "error.not_zip": "该文件不是 zip 压缩包",
    "error.too_large": "该 zip 太大，不可能是一条训练记录",
    "error.many_runs": "该 zip 包含 {n} 条训练记录；请一次上传一条",
    "error.damaged": "该 zip 已损坏",
    "error.image_unreadable": "该文件不是可读取的图像（请使用 PNG 或 JPEG）",
    "error.class_set_empty": "班级测试集是空的：请先保存一些手写数字",
    "error.fine_tune_unsupported": "这种模型无法微调",
}
