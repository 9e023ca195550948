"""Strings of the Compare page and of the experiment summaries (core/experiments.py)."""

EN = {
    "compare.intro": (
        "Put runs side by side: their loss and test-accuracy curves on one chart, and their settings in one "
        "table with the settings that differ highlighted. Or start a one-click experiment: a few runs that "
        "differ in exactly one choice, trained from the same starting weights, so that any difference comes "
        "from that choice."
    ),
    "compare.tab.runs": "📊 Compare runs",
    "compare.tab.experiments": "🧪 One-click experiments",
    # comparing runs
    "compare.pick": "Runs to compare",
    "compare.pick.help": "Choose two or more runs of this session (trained here, loaded or uploaded).",
    "compare.pick.none": "Choose at least one run above to see its curves.",
    "compare.none": "No runs yet. Train some on the Train page, or start a one-click experiment in the next tab.",
    "compare.x": "Horizontal axis",
    "compare.x.help": (
        "Step: one update of the weights. Epoch: one pass over the training images. Images seen: steps × batch "
        "size, fair between different batch sizes. Time: seconds of training, fair between different speeds."
    ),
    "compare.x.epoch": "epoch",
    "compare.x.step": "step",
    "compare.x.seen": "images seen",
    "compare.x.seconds": "seconds",
    "compare.logy": "Log scale for the loss",
    "compare.logy.help": "Spreads out small loss values, so runs that are all close to zero can be told apart.",
    "compare.plot.loss": "Training loss (smoothed)",
    "compare.plot.accuracy": "Test accuracy",
    "compare.plot.epoch": "Epoch",
    "compare.plot.step": "Step",
    "compare.plot.seen": "Images seen",
    "compare.plot.seconds": "Time (s)",
    "compare.plot.threshold": "90%",
    "compare.plot.empty": "No evaluations yet",
    "compare.losses_differ": (
        "ℹ️ These runs minimise different losses ({losses}): their loss values are on different scales and "
        "cannot be compared directly. Compare the accuracy instead."
    ),
    "compare.reading": "Reading",
    "compare.settings": "Settings",
    "compare.settings.explain": "Every setting of each run; the highlighted rows (marked ●) differ between the runs.",
    "compare.settings.only_diff": "Only the settings that differ",
    "compare.settings.only_diff.help": "Hide the settings that all the chosen runs share.",
    "compare.settings.same": "All the chosen runs have exactly the same settings.",
    "compare.col.setting": "Setting",
    "compare.col.differs": "Differs",
    "compare.value.all": "all",
    "compare.report": "Download a comparison report",
    "compare.report.help": (
        "One HTML file with these runs' curves, results and settings: it opens offline in any browser and can be "
        "handed in or printed."
    ),
    # experiments
    "compare.exp.intro": (
        "Each experiment trains a few networks that differ in **one** choice only. They all use the same random "
        "seed: the same initial weights and the same order of training images, so the curves differ only because "
        "of the choice being compared. The runs wait in the server's queue if other training is going on."
    ),
    "compare.base": "Shared settings",
    "compare.base.epochs": "Epochs",
    "compare.base.epochs.help": "Passes over the training images, for every run of the experiment.",
    "compare.base.subset": "Training images",
    "compare.base.subset.help": "Use only the first N training images: fewer is faster, all of them learn best.",
    "compare.base.subset.all": "all ({n})",
    "compare.base.arch": "Network",
    "compare.base.arch.help": "The network every run trains (the activation experiment always uses an MLP).",
    "compare.base.seed": "Random seed",
    "compare.base.seed.help": "Shared by every run: it fixes the initial weights and the order of the batches.",
    "compare.base.summary": "Every run: {summary} · seed {seed}",
    "compare.exp.runs": "Runs: {labels}",
    "compare.exp.start": "▶ Run this experiment",
    "compare.exp.start.help": "Queue one background training job per run; the curves appear below as they train.",
    "compare.exp.busy": "An experiment is still running: wait for it or stop it first.",
    "compare.exp.current": "Experiment: {name}",
    "compare.exp.stop": "⏹ Stop the experiment",
    "compare.exp.stop.help": "Stop every run of this experiment; what each has learned so far is kept as a run.",
    "compare.exp.forget": "Clear",
    "compare.exp.forget.help": "Hide this experiment here (its runs stay in your list of runs).",
    "compare.exp.gone": "The jobs of this experiment are no longer on the server.",
    "compare.exp.done": "Done. The runs are now in your list of runs: {names}.",
    "compare.exp.to_compare": "Compare these runs in the first tab",
    "compare.exp.to_compare.help": "Select exactly these runs in the “Compare runs” tab (settings table, report).",
    "compare.exp.selected": "Selected in the “Compare runs” tab.",
    "compare.col.run": "Run",
    "compare.col.state": "State",
    "compare.col.progress": "Progress",
    "compare.col.acc": "Test accuracy",
    "compare.state.queued": "waiting in the queue (position {pos})",
    "compare.state.running": "training",
    "compare.state.paused": "paused",
    "compare.state.finished": "finished",
    "compare.state.stopped": "stopped",
    "compare.state.diverged": "diverged",
    "compare.state.failed": "failed: {error}",
    "compare.exp.loss.name": "MSE vs cross-entropy",
    "compare.exp.loss.question": (
        "Which objective teaches a classifier faster with SGD + momentum (learning rate 0.01): cross-entropy, or "
        "squared error against one-hot targets?"
    ),
    "compare.exp.lr.name": "Learning-rate sweep",
    "compare.exp.lr.question": (
        "How big should each step be? The same network with Adam at learning rates from 0.0001 to 0.1."
    ),
    "compare.exp.optimizer.name": "SGD vs momentum vs Adam",
    "compare.exp.optimizer.question": (
        "Plain SGD, SGD with momentum or Adam: which learns fastest at the same learning rate (0.01)?"
    ),
    "compare.exp.activation.name": "Sigmoid vs ReLU",
    "compare.exp.activation.question": (
        "Why did deep learning switch from sigmoid to ReLU? The same MLP with each non-linearity."
    ),
    "compare.variant.cross-entropy": "cross-entropy",
    "compare.variant.MSE": "MSE",
    "compare.variant.momentum": "momentum",
    # the one-line reading (core/experiments.py: summarize)
    "compare.sum.reached": "{label} reached {acc} ({threshold} after {epochs} epochs, {time})",
    "compare.sum.never": "{label} reached {acc} and never reached {threshold}",
    "compare.sum.diverged": "{label} diverged (its loss became infinite)",
    "compare.sum.nothing": "{label} has no evaluation yet",
    "compare.sum.seconds": "{s} s",
    "compare.sum.sep": "; ",
    "compare.sum.end": ".",
    "compare.sum.so_far": "So far: ",
    # settings names (the table's first column)
    "compare.field.arch": "Architecture",
    "compare.field.activation": "Activation",
    "compare.field.loss": "Loss",
    "compare.field.l2": "L2 weight",
    "compare.field.optimizer": "Optimiser",
    "compare.field.lr": "Learning rate",
    "compare.field.batch_size": "Batch size",
    "compare.field.epochs": "Epochs",
    "compare.field.schedule": "Learning-rate schedule",
    "compare.field.device": "Device",
    "compare.field.seed": "Random seed",
    "compare.field.target_accuracy": "Target accuracy",
    "compare.field.train_subset": "Training images",
    "compare.field.eval_subset": "Images per quick evaluation",
    "compare.field.evals_per_epoch": "Evaluations per epoch",
    "compare.field.k": "k (neighbours)",
    "compare.field.knn_features": "kNN features",
    "compare.field.knn_grid": "kNN grid",
}

ZH = {
    "compare.intro": (
        "把几次训练放在一起比较：损失和测试准确率曲线画在同一张图上，设置列在同一张表里，不同的设置会被高亮。"
        "也可以一键开始一个实验：几次训练只在**一个**选择上不同，并且从相同的初始权重出发，"
        "因此结果的差别只来自这个选择。"
    ),
    "compare.tab.runs": "📊 比较训练记录",
    "compare.tab.experiments": "🧪 一键实验",
    "compare.pick": "要比较的训练记录",
    "compare.pick.help": "选择本会话中的两个或更多训练记录（在这里训练、加载或上传的）。",
    "compare.pick.none": "请在上面至少选择一个训练记录，才能看到它的曲线。",
    "compare.none": "还没有训练记录。请在“训练”页训练几个，或在下一个标签页开始一个一键实验。",
    "compare.x": "横轴",
    "compare.x.help": (
        "步数：权重更新一次。轮次：把训练图像完整过一遍。已见图像：步数 × 批大小，批大小不同时比较更公平。"
        "时间：训练用的秒数，速度不同时比较更公平。"
    ),
    "compare.x.epoch": "轮次",
    "compare.x.step": "步数",
    "compare.x.seen": "已见图像",
    "compare.x.seconds": "秒",
    "compare.logy": "损失使用对数坐标",
    "compare.logy.help": "把较小的损失值拉开，接近零的几条曲线也能分辨。",
    "compare.plot.loss": "训练损失（平滑后）",
    "compare.plot.accuracy": "测试准确率",
    "compare.plot.epoch": "轮次",
    "compare.plot.step": "步数",
    "compare.plot.seen": "已见图像数",
    "compare.plot.seconds": "时间（秒）",
    "compare.plot.threshold": "90%",
    "compare.plot.empty": "还没有评估结果",
    "compare.losses_differ": (
        "ℹ️ 这些训练最小化的是不同的损失函数（{losses}）：损失值的量纲不同，不能直接比较。请比较准确率。"
    ),
    "compare.reading": "结论",
    "compare.settings": "设置",
    "compare.settings.explain": "每个训练记录的全部设置；高亮（标有 ●）的行在各记录之间不同。",
    "compare.settings.only_diff": "只显示不同的设置",
    "compare.settings.only_diff.help": "隐藏所有选中记录都相同的设置。",
    "compare.settings.same": "选中的训练记录设置完全相同。",
    "compare.col.setting": "设置",
    "compare.col.differs": "不同",
    "compare.value.all": "全部",
    "compare.report": "下载比较报告",
    "compare.report.help": (
        "一个 HTML 文件，包含这些训练记录的曲线、结果和设置：离线也能在任何浏览器中打开，可以提交或打印。"
    ),
    "compare.exp.intro": (
        "每个实验训练几个只在**一个**选择上不同的网络。它们使用相同的随机种子：相同的初始权重、相同的训练图像顺序，"
        "所以曲线的差别只来自被比较的那个选择。如果服务器上还有其他训练，这些训练会排队等待。"
    ),
    "compare.base": "共同设置",
    "compare.base.epochs": "训练轮数",
    "compare.base.epochs.help": "实验中每次训练把训练图像过几遍。",
    "compare.base.subset": "训练图像数",
    "compare.base.subset.help": "只使用前 N 张训练图像：越少越快，全部使用学得最好。",
    "compare.base.subset.all": "全部（{n} 张）",
    "compare.base.arch": "网络",
    "compare.base.arch.help": "每次训练使用的网络（激活函数实验总是使用 MLP）。",
    "compare.base.seed": "随机种子",
    "compare.base.seed.help": "所有训练共用：它决定初始权重和批次的顺序。",
    "compare.base.summary": "每次训练：{summary} · 种子 {seed}",
    "compare.exp.runs": "训练：{labels}",
    "compare.exp.start": "▶ 运行这个实验",
    "compare.exp.start.help": "为每次训练排队一个后台任务；训练过程中曲线会显示在下方。",
    "compare.exp.busy": "还有一个实验在运行：请等它结束或先停止它。",
    "compare.exp.current": "实验：{name}",
    "compare.exp.stop": "⏹ 停止实验",
    "compare.exp.stop.help": "停止这个实验的所有训练；每个模型到目前为止学到的内容会保存为训练记录。",
    "compare.exp.forget": "清除",
    "compare.exp.forget.help": "在这里隐藏这个实验（它的训练记录仍保留在列表中）。",
    "compare.exp.gone": "这个实验的任务已不在服务器上。",
    "compare.exp.done": "完成。这些训练已加入你的训练记录：{names}。",
    "compare.exp.to_compare": "在第一个标签页比较这些训练记录",
    "compare.exp.to_compare.help": "在“比较训练记录”标签页中正好选中这些记录（设置表、报告）。",
    "compare.exp.selected": "已在“比较训练记录”标签页中选中。",
    "compare.col.run": "训练",
    "compare.col.state": "状态",
    "compare.col.progress": "进度",
    "compare.col.acc": "测试准确率",
    "compare.state.queued": "排队等待中（第 {pos} 位）",
    "compare.state.running": "训练中",
    "compare.state.paused": "已暂停",
    "compare.state.finished": "已完成",
    "compare.state.stopped": "已停止",
    "compare.state.diverged": "已发散",
    "compare.state.failed": "失败：{error}",
    "compare.exp.loss.name": "均方误差 vs 交叉熵",
    "compare.exp.loss.question": (
        "使用带动量的 SGD（学习率 0.01）时，哪个目标函数让分类器学得更快：交叉熵，还是与 one-hot 目标的平方误差？"
    ),
    "compare.exp.lr.name": "学习率扫描",
    "compare.exp.lr.question": "每一步应该迈多大？同一个网络用 Adam，学习率从 0.0001 到 0.1。",
    "compare.exp.optimizer.name": "SGD vs 动量 vs Adam",
    "compare.exp.optimizer.question": "普通 SGD、带动量的 SGD 和 Adam：在相同学习率（0.01）下谁学得最快？",
    "compare.exp.activation.name": "Sigmoid vs ReLU",
    "compare.exp.activation.question": "深度学习为什么从 sigmoid 换成了 ReLU？同一个 MLP 分别使用这两种非线性函数。",
    "compare.variant.cross-entropy": "交叉熵",
    "compare.variant.MSE": "均方误差",
    "compare.variant.momentum": "动量",
    "compare.sum.reached": "{label} 达到 {acc}（{epochs} 轮、{time}后达到 {threshold}）",
    "compare.sum.never": "{label} 达到 {acc}，始终没有达到 {threshold}",
    "compare.sum.diverged": "{label} 发散了（损失变成了无穷大）",
    "compare.sum.nothing": "{label} 还没有评估结果",
    "compare.sum.seconds": "{s} 秒",
    "compare.sum.sep": "；",
    "compare.sum.end": "。",
    "compare.sum.so_far": "目前：",
    "compare.field.arch": "网络结构",
    "compare.field.activation": "激活函数",
    "compare.field.loss": "损失函数",
    "compare.field.l2": "L2 权重",
    "compare.field.optimizer": "优化器",
    "compare.field.lr": "学习率",
    "compare.field.batch_size": "批大小",
    "compare.field.epochs": "训练轮数",
    "compare.field.schedule": "学习率调度",
    "compare.field.device": "设备",
    "compare.field.seed": "随机种子",
    "compare.field.target_accuracy": "目标准确率",
    "compare.field.train_subset": "训练图像数",
    "compare.field.eval_subset": "每次快速评估的图像数",
    "compare.field.evals_per_epoch": "每轮评估次数",
    "compare.field.k": "k（近邻数）",
    "compare.field.knn_features": "kNN 特征",
    "compare.field.knn_grid": "kNN 网格",
}
