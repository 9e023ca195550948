"""Strings of the downloadable lab report and comparison report (ui/figures/report.py)."""

EN = {
    "report.title": "MNIST Lab report: {name}",
    "report.compare.title": "MNIST Lab comparison: {n} runs",
    "report.made": "Made with MNIST Lab on {date}. Evaluated on {n} test images.",
    "report.summary.acc": "Test accuracy",
    "report.summary.mistakes": "Mistakes",
    "report.summary.time": "Training time",
    "report.summary.status": "Status",
    "report.summary.params": "Parameters",
    "report.status.finished": "finished",
    "report.status.stopped": "stopped early",
    "report.status.diverged": "diverged",
    "report.status.target": "reached the target accuracy",
    "report.status.unknown": "unknown",
    "report.settings": "Settings",
    "report.settings.explain": "Everything needed to train this network again (same seed, same result).",
    "report.setting": "Setting",
    "report.value": "Value",
    "report.curves": "Learning curves",
    "report.curves.explain": (
        "Left: the loss the optimiser pushes down, on training batches (solid) and on the test images (dotted). "
        "Right: the share of test images read correctly as training went on (big dots: the whole test set)."
    ),
    "report.cm": "Confusion matrix",
    "report.cm.explain": (
        "Rows are the true digits, columns the digits the network read. The diagonal counts correct readings; "
        "every other cell is one kind of mistake. Colour is on a log scale so that small counts show."
    ),
    "report.per_class": "Per-digit scores",
    "report.per_class.explain": (
        "Recall: of the images that are this digit, the share read correctly (the accuracy on that digit). "
        "Precision: of the images the network called this digit, the share that were."
    ),
    "report.mistakes": "The most confident mistakes",
    "report.mistakes.explain": (
        "The test images the network got wrong while being most sure of itself. Under each: the probability it "
        "gave every digit 0–9 (green: the true digit, red: its guess)."
    ),
    "report.mistakes.none": "No mistakes at all.",
    "report.mistake.caption": "true {true} → read {pred} ({conf})",
    "report.compare.runs": "Runs",
    "report.compare.run": "Run",
    "report.compare.arch": "Architecture",
    "report.compare.best": "best",
    "report.compare.diff_note": "Rows marked ● differ between the runs: those settings explain the differences.",
    "report.compare.per_digit": "Accuracy per digit",
    "report.compare.per_digit.explain": "The recall of each digit for each run: where one network beats another.",
    "report.field.arch": "Architecture",
    "report.field.activation": "Activation",
    "report.field.loss": "Loss",
    "report.field.l2": "L2 weight",
    "report.field.label_smoothing": "label smoothing",
    "report.field.optimizer": "Optimiser",
    "report.field.lr": "Learning rate",
    "report.field.batch_size": "Batch size",
    "report.field.epochs": "Epochs",
    "report.field.schedule": "Learning-rate schedule",
    "report.field.device": "Device",
    "report.field.seed": "Random seed",
    "report.field.target_accuracy": "Target accuracy",
    "report.field.train_subset": "Training images used",
    "report.field.eval_subset": "Images per quick evaluation",
    "report.field.evals_per_epoch": "Evaluations per epoch",
    "report.field.k": "k (neighbours)",
    "report.field.knn_features": "kNN features",
    "report.field.knn_grid": "kNN grid",
    "report.all": "all",
    "report.none": "none",
}

ZH = {
    "report.title": "MNIST 实验室报告：{name}",
    "report.compare.title": "MNIST 实验室对比：{n} 个训练记录",
    "report.made": "由 MNIST 实验室于 {date} 生成。在 {n} 张测试图片上评估。",
    "report.summary.acc": "测试准确率",
    "report.summary.mistakes": "错误",
    "report.summary.time": "训练时间",
    "report.summary.status": "状态",
    "report.summary.params": "参数数量",
    "report.status.finished": "已完成",
    "report.status.stopped": "提前停止",
    "report.status.diverged": "发散",
    "report.status.target": "达到目标准确率",
    "report.status.unknown": "未知",
    "report.settings": "设置",
    "report.settings.explain": "重新训练这个网络所需的全部设置（相同的随机种子，相同的结果）。",
    "report.setting": "设置项",
    "report.value": "值",
    "report.curves": "学习曲线",
    "report.curves.explain": (
        "左：优化器不断压低的损失，分别在训练批次上（实线）和测试图片上（点线）。"
        "右：随着训练进行，测试图片被识别正确的比例（大圆点：整个测试集）。"
    ),
    "report.cm": "混淆矩阵",
    "report.cm.explain": (
        "每一行是真实数字，每一列是网络识别出的数字。对角线统计识别正确的数量；其他每个格子都是一种错误。"
        "颜色采用对数刻度，让很小的数量也能看出来。"
    ),
    "report.per_class": "各数字的得分",
    "report.per_class.explain": (
        "召回率：真正是这个数字的图片中，识别正确的比例（该数字上的准确率）。"
        "精确率：网络认为是这个数字的图片中，真正是这个数字的比例。"
    ),
    "report.mistakes": "最自信的错误",
    "report.mistakes.explain": (
        "网络最有把握却识别错的测试图片。每张图片下方：它给 0–9 每个数字的概率（绿色：真实数字，红色：它的猜测）。"
    ),
    "report.mistakes.none": "完全没有错误。",
    "report.mistake.caption": "真实 {true} → 识别为 {pred}（{conf}）",
    "report.compare.runs": "训练记录",
    "report.compare.run": "训练记录",
    "report.compare.arch": "网络结构",
    "report.compare.best": "最佳",
    "report.compare.diff_note": "标有 ● 的行在各训练记录之间不同：这些设置解释了结果的差异。",
    "report.compare.per_digit": "各数字的准确率",
    "report.compare.per_digit.explain": "每个训练记录在每个数字上的召回率：看看哪个网络在哪里更强。",
    "report.field.arch": "网络结构",
    "report.field.activation": "激活函数",
    "report.field.loss": "损失函数",
    "report.field.l2": "L2 权重",
    "report.field.label_smoothing": "标签平滑",
    "report.field.optimizer": "优化器",
    "report.field.lr": "学习率",
    "report.field.batch_size": "批大小",
    "report.field.epochs": "训练轮数",
    "report.field.schedule": "学习率调度",
    "report.field.device": "设备",
    "report.field.seed": "随机种子",
    "report.field.target_accuracy": "目标准确率",
    "report.field.train_subset": "使用的训练图片数",
    "report.field.eval_subset": "每次快速评估的图片数",
    "report.field.evals_per_epoch": "每轮评估次数",
    "report.field.k": "k（近邻数）",
    "report.field.knn_features": "kNN 特征",
    "report.field.knn_grid": "kNN 网格",
    "report.all": "全部",
    "report.none": "无",
}
