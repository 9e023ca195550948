"""Strings of the Draw page."""

EN = {
    "draw.title": "Draw a digit",
    "draw.intro": (
        "Draw a digit with the mouse (or a finger): after every stroke it is turned into a 28x28 image the "
        "way MNIST itself was made, and every trained run says which digit it reads. Below you can switch "
        "preprocessing steps off, see which pixels the decision came from, and collect the class's own "
        "drawings into a test set."
    ),
    "draw.input": "Your digit",
    "draw.source": "Input",
    "draw.source.help": "Draw on the canvas, pick a real MNIST test image, or upload a photo of a handwritten digit.",
    "draw.source.draw": "✏️ Draw",
    "draw.source.test": "🔢 Test image",
    "draw.source.upload": "📷 Photo",
    "draw.canvas.missing": (
        "The drawing canvas could not be loaded ({reason}). Pick an MNIST test image or upload a photo instead."
    ),
    "draw.brush": "Brush size",
    "draw.brush.help": "Stroke width in canvas pixels (the canvas is 280 px wide, ten times MNIST's 28).",
    "draw.clear": "Clear",
    "draw.clear.help": "Start again on an empty canvas.",
    "draw.test.index": "Test image number",
    "draw.test.index.help": "Which image of the MNIST test set to feed in (its true digit is shown below it).",
    "draw.test.random": "Random",
    "draw.test.random.help": "Pick a random test image.",
    "draw.test.caption": "MNIST test image, true digit {label}, blown up to the canvas size",
    "draw.upload": "Photo or scan of a digit",
    "draw.upload.help": "A PNG or JPEG of one handwritten digit; dark ink on light paper is fine.",
    "draw.upload.bad": "That file could not be used: {msg}",
    "draw.prediction": "What the network reads",
    "draw.reads": "Prediction",
    "draw.reads.help": "The digit with the highest probability for the chosen run.",
    "draw.reads.sure": "with probability {p}",
    "draw.empty": "Draw a digit to see what the networks read.",
    "draw.all": "Every run reads it as",
    "draw.all.newest": "The {n} newest of {total} runs (pick any other one above).",
    "draw.col.run": "Run",
    "draw.col.arch": "Architecture",
    "draw.col.class_acc": "Class set accuracy",
    "draw.steps": "Preprocessing, step by step",
    "draw.steps.intro": (
        "MNIST's digits were cropped, fitted into a 20x20 box keeping their shape, and placed in 28x28 so "
        "that their centre of mass sits in the middle. Untick a step to see what the network gets without it."
    ),
    "draw.toggle.crop": "Crop to the ink",
    "draw.toggle.crop.help": "Cut away the empty canvas around the digit before resizing.",
    "draw.toggle.keep_aspect": "Keep the aspect ratio",
    "draw.toggle.keep_aspect.help": "Off: the digit is stretched to a square, so a 1 becomes a fat block.",
    "draw.toggle.fit_20": "Fit into 20x20",
    "draw.toggle.fit_20.help": "Off: squash straight to 28x28 with no margin (the two steps after it are skipped).",
    "draw.toggle.centre_of_mass": "Centre by mass",
    "draw.toggle.centre_of_mass.help": "Off: centre the bounding box instead of the ink's centre of mass.",
    "draw.step.ink": "Your drawing",
    "draw.step.cropped": "Cropped",
    "draw.step.fitted": "Fitted to 20x20",
    "draw.step.centred": "Centred by mass (+) in 28x28",
    "draw.step.squashed": "Squashed to 28x28",
    "draw.step.input": "What the network receives",
    "draw.naive": (
        "Why not simply shrink the canvas to 28x28? The digit would come out small, thin and off-centre, "
        "unlike every one of the 60,000 training digits, which are all 20 pixels tall and centred by mass, "
        "and a network has only ever learned what it was shown."
    ),
    "draw.why": "Why did it say that?",
    "draw.saliency": "Where the decision came from",
    "draw.saliency.intro": (
        "Red marks the pixels that mattered most for the predicted digit. Gradient: how much a tiny change of "
        "each pixel would move the winning score. Occlusion: how much the winning probability drops when a "
        "small square there is blanked (works for every kind of model, kNN included)."
    ),
    "draw.saliency.patch": "Occlusion square (pixels)",
    "draw.saliency.patch.help": "Side of the square that is blanked at each position; bigger is coarser but smoother.",
    "draw.saliency.flat": (
        "No square changed the prediction: the model is sure enough that blanking any one patch does not "
        "matter (a kNN's vote rarely moves). Try a bigger square."
    ),
    "draw.saliency.gradient": "Gradient |∂ score / ∂ pixel|",
    "draw.saliency.occlusion": "Occlusion: probability drop",
    "draw.knn": "Its nearest neighbours",
    "draw.knn.intro": "A kNN has no weights: it finds the {k} training images closest to yours and lets them vote.",
    "draw.knn.item": "{label} · distance {d}",
    "draw.class": "The class's own test set",
    "draw.class.intro": (
        "MNIST was written by American census workers and students in the 1990s. Do the networks read *your* "
        "handwriting as well? Under the canvas, type the digit you drew and add it: every drawing lands in "
        "`{folder}` on the server, shared by everyone using this app, as a 28x28 PNG named after its digit."
    ),
    "draw.class.label": "The digit you drew",
    "draw.class.label.help": "The true digit, typed by you: it becomes the drawing's label in the class test set.",
    "draw.class.add": "Add to class test set",
    "draw.class.add.help": "Save the 28x28 image the network received, with the digit you typed.",
    "draw.class.saved": "Saved as a {digit}: {name}. Type the digit of your next drawing before adding it.",
    "draw.class.label.placeholder": "type 0-9",
    "draw.class.nolabel": "Type the digit you drew first: the drawing was not saved.",
    "draw.class.already": "This drawing is already in the class test set: it was not saved twice.",
    "draw.class.limit": "The drawing was not saved: {msg}.",
    "draw.class.empty": "No drawings yet: draw a digit, type what it is, and add it.",
    "draw.class.hidden": (
        "A challenge is running on the class's handwriting: the class test set, frozen when it opened, is its hidden "
        "test set, so this page shows none of the set's {n} drawings (nor any run's accuracy on them) until the "
        "teacher closes the challenge. New drawings can still be added."
    ),
    "draw.class.count": "Drawings",
    "draw.class.acc": "Accuracy of the chosen run",
    "draw.class.table": "Every run on the class's {n} drawings, next to its accuracy on MNIST's test set:",
    "draw.class.misses": "**{name}** misreads {n} of the {total} class drawings (most confident mistakes first):",
    "draw.review": "Review the drawings",
    "draw.review.intro": (
        "Every drawing with its label. A drawing saved with the wrong digit, or one nobody could read, makes the "
        "class test set lie: pick it below, then give it the right digit or remove it. Changes are for everyone "
        "(the file in the shared folder is renamed or deleted)."
    ),
    "draw.review.filter": "Show",
    "draw.review.filter.all": "All {n} drawings",
    "draw.review.filter.digit": "Only the {digit}s ({n})",
    "draw.review.caption": "#{i}: {label}",
    "draw.review.more": "Showing the first {shown} of {n}: choose one digit above to see the others.",
    "draw.review.pick": "Drawing",
    "draw.review.pick.help": "The drawing to relabel or remove, by its number in the grid above.",
    "draw.review.item": "#{i}: digit {label} ({name})",
    "draw.review.reads": "Saved as {label}; {run} reads {pred} ({p}).",
    "draw.review.label": "Its real digit",
    "draw.review.label.help": "The digit this drawing really shows; Relabel saves it as this digit.",
    "draw.review.relabel": "Relabel",
    "draw.review.relabel.help": "Rename the file so that it starts with the new digit: its label for everyone.",
    "draw.review.remove": "Remove",
    "draw.review.remove.help": "Delete this drawing from the class test set, for everyone.",
    "draw.review.relabelled": "Relabelled {old} → {new}: now {name}.",
    "draw.review.removed": "Removed {name} from the class test set.",
    "draw.review.gone": "{name} is no longer in the class test set: someone else changed or removed it first.",
    "draw.review.refused": "{name} cannot be changed here: {msg}",
    "draw.class.miss": "{label} → {pred} ({p})",
    "draw.ft": "Fine-tune on the class's drawings",
    "draw.ft.intro": (
        "Train a copy of the chosen run a little more on the class's drawings; the copy becomes a new run, "
        "the original stays as it was. About a quarter of each digit's drawings is held back: the copy never "
        "trains on them, so its score on them shows whether it learned your handwriting or only memorised "
        "these drawings. Watch the MNIST test accuracy too: did it forget?"
    ),
    "draw.ft.split": "It will train on {trained} of the {n} drawings and hold back {held} to test it on.",
    "draw.ft.split.none": (
        "It will train on all {n} drawings: none can be held back until a digit has been drawn at least twice."
    ),
    "draw.ft.unsupported": "This kind of model cannot be fine-tuned here.",
    "draw.ft.epochs": "Passes over the drawings",
    "draw.ft.epochs.help": "How many times to go through the drawings it trains on (in batches of 16).",
    "draw.ft.lr": "Learning rate",
    "draw.ft.lr.help": (
        "Step size for the fine-tuning; starts at half the run's own rate ({run_lr}). Bigger steps learn the "
        "drawings faster but change more of what the run learned on MNIST."
    ),
    "draw.ft.replay": "Mix in MNIST images",
    "draw.ft.replay.help": (
        "Every batch of drawings also gets {ratio} random MNIST training images per drawing, and the copy is "
        "held to scoring them as the original did, so it learns your handwriting without forgetting MNIST's."
    ),
    "draw.ft.knn": "A kNN learns by remembering: fine-tuning simply adds the drawings to its memory.",
    "draw.ft.go": "Fine-tune a copy",
    "draw.ft.go.help": "Train a copy on the class drawings and add it to this workspace's runs.",
    "draw.ft.running": "Fine-tuning and testing on MNIST...",
    "draw.ft.done": (
        "New run **{name}**: class drawings {before} → {after}, MNIST test accuracy {test_before} → {test_after}."
    ),
    "draw.ft.done.split": (
        "New run **{name}**: the {trained} drawings it trained on {before} → {after}; the {held} held-back "
        "drawings it never saw {held_before} → {held_after}; MNIST test accuracy {test_before} → {test_after}."
    ),
    "draw.ft.done.none_held": (
        "New run **{name}**: the {trained} drawings it trained on {before} → {after} (none held back: no digit "
        "had two drawings); MNIST test accuracy {test_before} → {test_after}."
    ),
    "draw.diverged": "💥 This run diverged (its weights are no longer numbers), so it reads nothing. Pick a run that "
                     "learned, or train again with a smaller learning rate.",
    "draw.ft.diverged": "This run diverged: there is nothing to fine-tune. Pick a run that learned.",
}

ZH = {
    "draw.title": "手写一个数字",
    "draw.intro": (
        "用鼠标（或手指）写一个数字：每写完一笔，它都会按照 MNIST 数据集当初的制作方式被处理成 28x28 的图像，"
        "每个训练好的模型都会说出它认出的数字。在下方你可以关闭某些预处理步骤，查看决定来自哪些像素，"
        "还可以把全班的手写数字收集成一个测试集。"
    ),
    "draw.input": "你的数字",
    "draw.source": "输入",
    "draw.source.help": "在画布上书写、选择一张真实的 MNIST 测试图像，或上传一张手写数字的照片。",
    "draw.source.draw": "✏️ 手写",
    "draw.source.test": "🔢 测试图像",
    "draw.source.upload": "📷 照片",
    "draw.canvas.missing": "无法加载画布（{reason}）。请改为选择一张 MNIST 测试图像或上传照片。",
    "draw.brush": "笔刷粗细",
    "draw.brush.help": "笔画宽度，单位为画布像素（画布宽 280 像素，是 MNIST 28 像素的十倍）。",
    "draw.clear": "清空",
    "draw.clear.help": "换一张空白画布重新开始。",
    "draw.test.index": "测试图像编号",
    "draw.test.index.help": "选择 MNIST 测试集中的哪一张图像作为输入（图像下方会显示它的真实数字）。",
    "draw.test.random": "随机",
    "draw.test.random.help": "随机选一张测试图像。",
    "draw.test.caption": "MNIST 测试图像，真实数字 {label}，已放大到画布大小",
    "draw.upload": "数字的照片或扫描件",
    "draw.upload.help": "一张只含一个手写数字的 PNG 或 JPEG；白纸黑字也可以。",
    "draw.upload.bad": "无法使用这个文件：{msg}",
    "draw.prediction": "网络认出的数字",
    "draw.reads": "预测",
    "draw.reads.help": "所选模型给出概率最高的数字。",
    "draw.reads.sure": "概率为 {p}",
    "draw.empty": "写一个数字，看看各个网络认出什么。",
    "draw.all": "所有模型的判断",
    "draw.all.newest": "{total} 条训练记录中最新的 {n} 条（其他的可在上方选择）。",
    "draw.col.run": "训练记录",
    "draw.col.arch": "网络结构",
    "draw.col.class_acc": "班级测试集准确率",
    "draw.steps": "预处理，一步一步来",
    "draw.steps.intro": (
        "MNIST 的数字都经过裁剪，在保持形状的前提下缩放进 20x20 的方框，再放进 28x28 的图像中，"
        "使笔迹的质心位于正中。取消勾选某一步，看看缺了这一步网络会收到什么。"
    ),
    "draw.toggle.crop": "裁剪到笔迹",
    "draw.toggle.crop.help": "缩放之前先裁掉数字周围的空白画布。",
    "draw.toggle.keep_aspect": "保持宽高比",
    "draw.toggle.keep_aspect.help": "关闭后，数字会被拉伸成正方形，数字 1 会变成一个粗方块。",
    "draw.toggle.fit_20": "缩放到 20x20",
    "draw.toggle.fit_20.help": "关闭后，直接压缩成 28x28，不留边距（之后的两步也会跳过）。",
    "draw.toggle.centre_of_mass": "按质心居中",
    "draw.toggle.centre_of_mass.help": "关闭后，改为让外接矩形居中，而不是让笔迹的质心居中。",
    "draw.step.ink": "你的书写",
    "draw.step.cropped": "裁剪后",
    "draw.step.fitted": "缩放到 20x20",
    "draw.step.centred": "在 28x28 中按质心（+）居中",
    "draw.step.squashed": "直接压缩到 28x28",
    "draw.step.input": "网络收到的图像",
    "draw.naive": (
        "为什么不直接把画布缩小到 28x28？那样得到的数字又小、又细、又不居中，和 6 万张训练数字完全不同——"
        "它们都是 20 像素高并按质心居中的，而网络只学会了它见过的东西。"
    ),
    "draw.why": "它为什么这么判断？",
    "draw.saliency": "决定来自哪里",
    "draw.saliency.intro": (
        "红色标出对预测结果最重要的像素。梯度：每个像素的微小变化会让获胜分数改变多少。"
        "遮挡：把该处的一个小方块涂黑后，获胜数字的概率下降多少（适用于所有模型，包括 kNN）。"
    ),
    "draw.saliency.patch": "遮挡方块大小（像素）",
    "draw.saliency.patch.help": "每个位置被涂黑的方块边长；越大越粗糙，但也越平滑。",
    "draw.saliency.flat": (
        "遮挡任何一个方块都没有改变预测：模型足够确定，单独涂黑一小块不起作用（kNN 的投票很少变化）。试试更大的方块。"
    ),
    "draw.saliency.gradient": "梯度 |∂ 分数 / ∂ 像素|",
    "draw.saliency.occlusion": "遮挡：概率下降",
    "draw.knn": "它的最近邻",
    "draw.knn.intro": "kNN 没有权重：它找出与你的数字最接近的 {k} 张训练图像，让它们投票。",
    "draw.knn.item": "{label} · 距离 {d}",
    "draw.class": "全班自己的测试集",
    "draw.class.intro": (
        "MNIST 由 20 世纪 90 年代的美国人口普查局职员和学生书写。网络能同样好地认出*你们*的字迹吗？"
        "在画布下方输入你写的数字并加入测试集：每张图都会以 28x28 PNG 的形式存到服务器上的 `{folder}` 文件夹，"
        "文件名以它的数字开头，所有使用本应用的人共享。"
    ),
    "draw.class.label": "你写的数字",
    "draw.class.label.help": "由你输入的真实数字：它会成为这张图在班级测试集中的标签。",
    "draw.class.add": "加入班级测试集",
    "draw.class.add.help": "保存网络收到的 28x28 图像，以及你输入的数字。",
    "draw.class.saved": "已保存为数字 {digit}：{name}。下一张画加入之前，请先输入它的数字。",
    "draw.class.label.placeholder": "0-9",
    "draw.class.nolabel": "请先输入你写的数字：这张画没有保存。",
    "draw.class.already": "这张画已经在班级测试集里了：没有重复保存。",
    "draw.class.limit": "这张画没有保存：{msg}。",
    "draw.class.empty": "还没有手写图：写一个数字，输入它是几，然后加入测试集。",
    "draw.class.hidden": (
        "一场挑战赛正在用全班的手写数字评分：班级测试集在挑战赛开始时被冻结，成为它的隐藏测试集。在老师结束挑战赛之前，"
        "本页不显示测试集中 {n} 张手写图的任何一张（也不显示任何模型在它们上面的准确率）。仍然可以加入新的手写图。"
    ),
    "draw.class.count": "手写图数量",
    "draw.class.acc": "所选模型的准确率",
    "draw.class.table": "每个模型在全班 {n} 张手写图上的准确率，以及它在 MNIST 测试集上的准确率：",
    "draw.class.misses": "**{name}** 认错了 {total} 张班级手写图中的 {n} 张（最自信的错误排在前面）：",
    "draw.review": "检查手写图",
    "draw.review.intro": (
        "每张手写图和它的标签。标错数字的图，或者谁也认不出的图，会让班级测试集给出错误的结论："
        "在下方选中它，改成正确的数字或者删除它。修改对所有人生效（共享文件夹里的文件会被重命名或删除）。"
    ),
    "draw.review.filter": "显示",
    "draw.review.filter.all": "全部 {n} 张",
    "draw.review.filter.digit": "只看数字 {digit}（{n} 张）",
    "draw.review.caption": "#{i}：{label}",
    "draw.review.more": "只显示了 {n} 张中的前 {shown} 张：在上方选择一个数字查看其余的图。",
    "draw.review.pick": "手写图",
    "draw.review.pick.help": "要改标签或删除的手写图，按上方网格中的编号选择。",
    "draw.review.item": "#{i}：数字 {label}（{name}）",
    "draw.review.reads": "保存的标签是 {label}；{run} 认成 {pred}（{p}）。",
    "draw.review.label": "它真正的数字",
    "draw.review.label.help": "这张图真正写的数字；点“改标签”后它就以这个数字保存。",
    "draw.review.relabel": "改标签",
    "draw.review.relabel.help": "重命名文件，让文件名以新的数字开头：对所有人来说这就是它的标签。",
    "draw.review.remove": "删除",
    "draw.review.remove.help": "把这张图从班级测试集中删除，对所有人生效。",
    "draw.review.relabelled": "已把标签从 {old} 改为 {new}：现在是 {name}。",
    "draw.review.removed": "已从班级测试集中删除 {name}。",
    "draw.review.gone": "{name} 已不在班级测试集中：别人先修改或删除了它。",
    "draw.review.refused": "这里不能修改 {name}：{msg}",
    "draw.class.miss": "{label} → {pred}（{p}）",
    "draw.ft": "用全班的手写图微调",
    "draw.ft.intro": (
        "在全班的手写图上对所选模型的副本再训练一会儿；副本会成为一条新的训练记录，原模型保持不变。"
        "每个数字大约四分之一的手写图会被留出：副本从不在它们上面训练，所以它在这些图上的得分能说明"
        "它是学会了你们的字迹，还是只记住了这些图。也要留意 MNIST 测试准确率：它有没有忘掉原来学会的东西？"
    ),
    "draw.ft.split": "它将在 {n} 张手写图中的 {trained} 张上训练，留出 {held} 张用来检验。",
    "draw.ft.split.none": "它将在全部 {n} 张手写图上训练：要等某个数字至少写了两次，才能留出图来检验。",
    "draw.ft.unsupported": "这种模型在这里无法微调。",
    "draw.ft.epochs": "遍历手写图的轮数",
    "draw.ft.epochs.help": "把用于训练的手写图完整过几遍（每批 16 张）。",
    "draw.ft.lr": "学习率",
    "draw.ft.lr.help": (
        "微调的步长；初始值为该模型训练时学习率（{run_lr}）的一半。步子越大，学会这些手写图越快，"
        "但模型在 MNIST 上学到的东西也改变得越多。"
    ),
    "draw.ft.replay": "混入 MNIST 图像",
    "draw.ft.replay.help": (
        "每批手写图都会按每张手写图 {ratio} 张的比例加入随机 MNIST 训练图像，并要求副本对它们的打分和原模型保持一致，"
        "让模型学会你们的字迹，同时不忘记 MNIST。"
    ),
    "draw.ft.knn": "kNN 靠记忆来学习：微调就是把这些手写图加入它的记忆。",
    "draw.ft.go": "微调一个副本",
    "draw.ft.go.help": "在班级手写图上训练一个副本，并把它加入本工作区的训练记录。",
    "draw.ft.running": "正在微调，并在 MNIST 上测试……",
    "draw.ft.done": (
        "新的训练记录 **{name}**：班级手写图 {before} → {after}，MNIST 测试准确率 {test_before} → {test_after}。"
    ),
    "draw.ft.done.split": (
        "新的训练记录 **{name}**：训练用的 {trained} 张手写图 {before} → {after}；留出、从未见过的 {held} 张手写图 "
        "{held_before} → {held_after}；MNIST 测试准确率 {test_before} → {test_after}。"
    ),
    "draw.ft.done.none_held": (
        "新的训练记录 **{name}**：训练用的 {trained} 张手写图 {before} → {after}"
        "（没有留出的图：没有哪个数字写了两张）；MNIST 测试准确率 {test_before} → {test_after}。"
    ),
    "draw.diverged": "💥 这次训练发散了（权重已不再是数），所以它什么也认不出。"
                     "请选一个学会了的模型，或用更小的学习率重新训练。",
    "draw.ft.diverged": "这次训练发散了：没有什么可以微调的。请选一个学会了的模型。",
}
