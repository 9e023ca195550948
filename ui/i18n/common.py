"""Strings shared by the app frame and several pages."""

EN = {
    "app.title": "MNIST Lab",
    "app.language": "Language",
    "app.loading": "Loading MNIST (downloaded once on first start)…",
    "nav.home": "Home",
    "nav.data": "Data",
    "nav.train": "Train",
    "nav.runs": "Runs",
    "nav.evaluate": "Evaluate",
    "nav.draw": "Draw",
    "nav.inside": "Inside the network",
    "nav.compare": "Compare",
    "nav.section.learn": "Learn",
    "nav.section.experiment": "Experiment",
    "nav.section.understand": "Understand",
    "nodata.title": "MNIST is not here yet",
    "nodata.body": (
        "MNIST Lab needs the MNIST handwritten digits (about 11 MB). It looked for them and found none:\n\n"
        "> {reason}\n\n"
        "**How to get them**\n"
        "1. Connected to the internet? Reload this page: the app downloads MNIST into `data/` by itself.\n"
        "2. Offline? Copy the four files `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, "
        "`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (`.gz` is fine) into a folder and start the "
        "app with `MNIST_DATA_DIR=/that/folder make run`."
    ),
    "runs.none": "No runs yet: train one on the Train page, or load one on the Runs page.",
    "runs.pick": "Run",
    "runs.pick.help": "A trained model of this workspace (trained here, loaded from disk or uploaded).",
    "sidebar.job": "Training: {name}",
    "sidebar.job.queued": "⏳ Waiting: {name}",
    "common.accuracy": "Test accuracy",
    "common.seconds": "Time (s)",
    "common.digit": "Digit",
    "common.true": "True digit",
    "common.pred": "Predicted",
    "common.confidence": "Confidence",
    "common.probability": "Probability",
    "common.step": "Step",
    "common.epoch": "Epoch",
    "common.loss": "Loss",
    "common.error": "Something went wrong: {msg}",
}

ZH = {
    "app.title": "MNIST 实验室",
    "app.language": "语言",
    "app.loading": "正在加载 MNIST（首次启动时下载）…",
    "nav.home": "首页",
    "nav.data": "数据",
    "nav.train": "训练",
    "nav.runs": "训练记录",
    "nav.evaluate": "评估",
    "nav.draw": "手写",
    "nav.inside": "网络内部",
    "nav.compare": "对比",
    "nav.section.learn": "学习",
    "nav.section.experiment": "实验",
    "nav.section.understand": "理解",
    "nodata.title": "还没有 MNIST 数据",
    "nodata.body": (
        "MNIST 实验室需要 MNIST 手写数字数据集（约 11 MB），但没有找到：\n\n"
        "> {reason}\n\n"
        "**获取方法**\n"
        "1. 已联网？刷新本页，应用会自动把 MNIST 下载到 `data/` 目录。\n"
        "2. 离线？把 `train-images-idx3-ubyte`、`train-labels-idx1-ubyte`、`t10k-images-idx3-ubyte`、"
        "`t10k-labels-idx1-ubyte` 四个文件（`.gz` 也可以）放进一个文件夹，然后用 "
        "`MNIST_DATA_DIR=/那个/文件夹 make run` 启动应用。"
    ),
    "runs.none": "还没有训练记录：请在“训练”页训练一个模型，或在“训练记录”页加载一个。",
    "runs.pick": "训练记录",
    "runs.pick.help": "本工作区中的一个已训练模型（在这里训练、从磁盘加载或上传的）。",
    "sidebar.job": "正在训练：{name}",
    "sidebar.job.queued": "⏳ 等待中：{name}",
    "common.accuracy": "测试准确率",
    "common.seconds": "时间（秒）",
    "common.digit": "数字",
    "common.true": "真实数字",
    "common.pred": "预测",
    "common.confidence": "置信度",
    "common.probability": "概率",
    "common.step": "步数",
    "common.epoch": "轮次",
    "common.loss": "损失",
    "common.error": "出错了：{msg}",
}
