"""Strings of the Evaluate page (and of the figures it shares with the reports)."""

EN = {
    "evaluate.intro": (
        "How well does a trained network read test digits it never saw while training, and which digits does "
        "it mix up? Pick a run: everything below is computed on the test set."
    ),
    "evaluate.computing": "Reading every test image with {name}…",
    "evaluate.diverged": (
        "This run diverged (its loss stopped being a number), so its predictions are meaningless. "
        "Train it again with a smaller learning rate."
    ),
    "evaluate.metric.acc": "Test accuracy",
    "evaluate.metric.acc.help": "The share of test images whose digit the network read correctly.",
    "evaluate.metric.mistakes": "Mistakes",
    "evaluate.metric.mistakes.help": "Test images read as the wrong digit.",
    "evaluate.metric.images": "Test images",
    "evaluate.metric.images.help": "Handwritten digits kept apart from training, used only to measure.",
    "evaluate.scrub.label": "Watch it learn: evaluation",
    "evaluate.scrub.help": (
        "Every full evaluation during training recorded the digit the network predicted for each test image. "
        "Slide back to see the confusion matrix and the mistakes at that moment (step 0 = the untrained network)."
    ),
    "evaluate.scrub.option": "epoch {epoch} · step {step} · {acc}",
    "evaluate.scrub.final": "{label} · final model",
    "evaluate.scrub.mismatch": (
        "This run recorded predictions for {n_run} test images, but the app's test set has {n_app}: it was "
        "trained on another slice of MNIST, so its history cannot be replayed here. Only the final model is shown."
    ),
    "evaluate.scrub.single": "This run recorded one full evaluation only, so there is no training history to scrub.",
    "evaluate.scrub.none": "This run's history holds no recorded predictions; only the final model is shown.",
    "evaluate.scrub.past": (
        "You are looking at the network as it was at epoch {epoch} (test accuracy {acc}). Back then only the "
        "predicted digits were recorded, not probabilities, so the images below come in test-set order."
    ),
    "evaluate.cm.title": "Confusion matrix",
    "evaluate.cm.explain": (
        "Each row is a true digit, each column the digit the network read. The green diagonal counts correct "
        "readings; every red cell is one kind of mistake (row 4, column 9: fours read as nines). Colour is on a "
        "log scale so that even a single mistake shows. **Click a cell** to see exactly those images."
    ),
    "evaluate.cell.true": "True digit",
    "evaluate.cell.true.help": "Show test images of this digit (a row of the matrix). Clicking a cell fills this in.",
    "evaluate.cell.pred": "Read as",
    "evaluate.cell.pred.help": (
        "Show test images the network read as this digit (a column of the matrix). Clicking a cell fills this in."
    ),
    "evaluate.cell.clear": "Show all mistakes",
    "evaluate.cell.clear.help": "Forget the chosen cell and list every mistake.",
    "evaluate.cell.hint": (
        "— means any digit. Pick both digits to open one cell; the diagonal (same digit twice) shows correct readings."
    ),
    "evaluate.gallery.title": "The images behind the numbers",
    "evaluate.gallery.cell": "**{n}** test images of a {true} read as {pred}.",
    "evaluate.gallery.correct": "**{n}** test images of a {true} read correctly.",
    "evaluate.gallery.all": "**{n}** mistakes in all.",
    "evaluate.gallery.by_true": "**{n}** mistakes on images of a {true}.",
    "evaluate.gallery.by_pred": "**{n}** images wrongly read as {pred}.",
    "evaluate.gallery.order": "Order",
    "evaluate.gallery.order.help": (
        "Most confident first: the network was sure and still wrong, often a badly written digit or a wrong label. "
        "Least confident first: the close calls."
    ),
    "evaluate.gallery.order.off": "The order needs probabilities, which are known for the final model only.",
    "evaluate.gallery.confident": "Most confident first",
    "evaluate.gallery.unsure": "Least confident first",
    "evaluate.gallery.caption": "true {true} → {pred} · {conf}",
    "evaluate.gallery.caption.nop": "true {true} → {pred} · #{index}",
    "evaluate.gallery.legend": (
        "Under each image: the probability the network gave every digit 0–9; green = the true digit, "
        "red = the wrong guess."
    ),
    "evaluate.gallery.more": "Show {n} more",
    "evaluate.gallery.more.help": "Add the next images of this list.",
    "evaluate.gallery.showing": "Showing {shown} of {n}.",
    "evaluate.gallery.empty": "No test images here.",
    "evaluate.pc.title": "Per-digit scores",
    "evaluate.pc.explain": (
        "**Recall** of a digit: of the test images that really are that digit, the share the network read "
        "correctly (its accuracy on that digit). **Precision**: of the images the network *called* that digit, "
        "the share that really were. A network that calls everything a 1 has perfect recall on 1s and poor precision."
    ),
    "evaluate.pc.digit": "Digit",
    "evaluate.pc.support": "Test images",
    "evaluate.pc.correct": "Read correctly",
    "evaluate.pc.recall": "Recall (accuracy on this digit)",
    "evaluate.pc.precision": "Precision",
    "evaluate.pc.recall.help": "Of the test images that are this digit, the share read correctly: the accuracy on it.",
    "evaluate.pc.precision.help": "Of the images the network called this digit, the share that really were.",
    "evaluate.pc.f1": "F1",
    "evaluate.pc.f1.help": "The harmonic mean of precision and recall: high only when both are.",
    "evaluate.pc.predicted": "Called this digit",
    "evaluate.report.title": "Lab report",
    "evaluate.report.explain": (
        "One self-contained HTML file with this run's settings, learning curves, confusion matrix, per-digit "
        "scores and most confident mistakes. It opens in any browser, also offline: hand it in or keep it."
    ),
    "evaluate.report.download": "Download the lab report",
    "evaluate.report.help": "Builds the report for the final model of this run, in the current language (a few MB).",
    "evaluate.fig.cell_hover": "true %{y}, read as %{x}: %{customdata} images",
    "evaluate.fig.pred_axis": "Predicted digit",
    "evaluate.fig.true_axis": "True digit",
    "evaluate.fig.precision": "Precision",
    "evaluate.fig.recall": "Recall",
    "evaluate.fig.overall": "overall accuracy {acc}",
    "evaluate.fig.train_loss": "training loss",
    "evaluate.fig.test_loss": "test loss",
    "evaluate.fig.test_acc": "test accuracy",
    "evaluate.fig.no_curves": "No curves recorded",
}

ZH = {
    "evaluate.intro": (
        "训练好的网络能多好地识别训练时从未见过的测试数字？它会把哪些数字弄混？选择一个训练记录："
        "下面的一切都是在测试集上计算的。"
    ),
    "evaluate.computing": "正在用 {name} 识别每一张测试图片……",
    "evaluate.diverged": "这次训练发散了（损失不再是一个数），所以它的预测没有意义。请用更小的学习率重新训练。",
    "evaluate.metric.acc": "测试准确率",
    "evaluate.metric.acc.help": "网络识别正确的测试图片所占的比例。",
    "evaluate.metric.mistakes": "错误",
    "evaluate.metric.mistakes.help": "被识别成错误数字的测试图片。",
    "evaluate.metric.images": "测试图片",
    "evaluate.metric.images.help": "与训练分开保留的手写数字，只用来衡量效果。",
    "evaluate.scrub.label": "观看学习过程：评估",
    "evaluate.scrub.help": (
        "训练中的每次完整评估都记录了网络对每张测试图片预测的数字。往回拖动，可以看到当时的混淆矩阵和错误"
        "（第 0 步 = 未训练的网络）。"
    ),
    "evaluate.scrub.option": "第 {epoch} 轮 · 第 {step} 步 · {acc}",
    "evaluate.scrub.final": "{label} · 最终模型",
    "evaluate.scrub.mismatch": (
        "这个训练记录保存了 {n_run} 张测试图片的预测，但应用的测试集有 {n_app} 张：它是在 MNIST 的另一部分上"
        "训练的，因此无法在这里回放它的历史。下面只显示最终模型。"
    ),
    "evaluate.scrub.single": "这个训练记录只有一次完整评估，所以没有可以回看的训练过程。",
    "evaluate.scrub.none": "这个训练记录的历史中没有保存预测结果；下面只显示最终模型。",
    "evaluate.scrub.past": (
        "你正在查看第 {epoch} 轮时的网络（测试准确率 {acc}）。当时只记录了预测的数字，没有记录概率，"
        "所以下面的图片按测试集顺序排列。"
    ),
    "evaluate.cm.title": "混淆矩阵",
    "evaluate.cm.explain": (
        "每一行是真实数字，每一列是网络识别出的数字。绿色对角线统计识别正确的数量；每个红色格子是一种错误"
        "（第 4 行第 9 列：把 4 认成了 9）。颜色采用对数刻度，即使只有一个错误也能看出来。"
        "**点击一个格子**，就能看到其中的图片。"
    ),
    "evaluate.cell.true": "真实数字",
    "evaluate.cell.true.help": "显示这个数字的测试图片（矩阵的一行）。点击格子会自动填写。",
    "evaluate.cell.pred": "识别为",
    "evaluate.cell.pred.help": "显示网络识别为这个数字的测试图片（矩阵的一列）。点击格子会自动填写。",
    "evaluate.cell.clear": "显示全部错误",
    "evaluate.cell.clear.help": "取消所选格子，列出所有错误。",
    "evaluate.cell.hint": "— 表示任意数字。两个数字都选上就打开一个格子；对角线（两个数字相同）显示识别正确的图片。",
    "evaluate.gallery.title": "数字背后的图片",
    "evaluate.gallery.cell": "**{n}** 张 {true} 的测试图片被识别为 {pred}。",
    "evaluate.gallery.correct": "**{n}** 张 {true} 的测试图片被正确识别。",
    "evaluate.gallery.all": "共 **{n}** 个错误。",
    "evaluate.gallery.by_true": "**{n}** 张 {true} 的图片被识别错。",
    "evaluate.gallery.by_pred": "**{n}** 张图片被错误地识别为 {pred}。",
    "evaluate.gallery.order": "排序",
    "evaluate.gallery.order.help": (
        "最自信的排在前面：网络很确定却错了，往往是字写得很差或标签本身有误。最不自信的排在前面：险些答对的情况。"
    ),
    "evaluate.gallery.order.off": "排序需要概率，而概率只有最终模型才有。",
    "evaluate.gallery.confident": "最自信的在前",
    "evaluate.gallery.unsure": "最不自信的在前",
    "evaluate.gallery.caption": "真实 {true} → {pred} · {conf}",
    "evaluate.gallery.caption.nop": "真实 {true} → {pred} · #{index}",
    "evaluate.gallery.legend": "每张图片下方：网络给 0–9 每个数字的概率；绿色 = 真实数字，红色 = 错误的猜测。",
    "evaluate.gallery.more": "再显示 {n} 张",
    "evaluate.gallery.more.help": "继续显示这个列表中后面的图片。",
    "evaluate.gallery.showing": "已显示 {shown} / {n}。",
    "evaluate.gallery.empty": "这里没有测试图片。",
    "evaluate.pc.title": "各数字的得分",
    "evaluate.pc.explain": (
        "某个数字的**召回率**：在真正是这个数字的测试图片中，网络识别正确的比例（即它在这个数字上的准确率）。"
        "**精确率**：在网络*认为*是这个数字的图片中，真正是这个数字的比例。一个把所有图片都叫作 1 的网络，"
        "在 1 上的召回率是满分，精确率却很差。"
    ),
    "evaluate.pc.digit": "数字",
    "evaluate.pc.support": "测试图片",
    "evaluate.pc.correct": "识别正确",
    "evaluate.pc.recall": "召回率（该数字上的准确率）",
    "evaluate.pc.precision": "精确率",
    "evaluate.pc.recall.help": "真正是这个数字的测试图片中，识别正确的比例：即在这个数字上的准确率。",
    "evaluate.pc.precision.help": "网络认为是这个数字的图片中，真正是这个数字的比例。",
    "evaluate.pc.f1": "F1",
    "evaluate.pc.f1.help": "精确率和召回率的调和平均：只有两者都高时才高。",
    "evaluate.pc.predicted": "被认为是该数字",
    "evaluate.report.title": "实验报告",
    "evaluate.report.explain": (
        "一个独立的 HTML 文件，包含这个训练记录的设置、学习曲线、混淆矩阵、各数字得分和最自信的错误。"
        "它可以在任何浏览器中打开，离线也可以：交作业或自己保存都行。"
    ),
    "evaluate.report.download": "下载实验报告",
    "evaluate.report.help": "用当前语言为这个训练记录的最终模型生成报告（几 MB）。",
    "evaluate.fig.cell_hover": "真实 %{y}，识别为 %{x}：%{customdata} 张图片",
    "evaluate.fig.pred_axis": "预测数字",
    "evaluate.fig.true_axis": "真实数字",
    "evaluate.fig.precision": "精确率",
    "evaluate.fig.recall": "召回率",
    "evaluate.fig.overall": "总准确率 {acc}",
    "evaluate.fig.train_loss": "训练损失",
    "evaluate.fig.test_loss": "测试损失",
    "evaluate.fig.test_acc": "测试准确率",
    "evaluate.fig.no_curves": "没有记录曲线",
}
