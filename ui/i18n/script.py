"""Strings of "show me the code": a run (or the Train form's settings) as a script or a notebook."""

EN = {
    "script.title": "Show me the code",
    "script.torch": "Download as a PyTorch script",
    "script.numpy": "Download as a NumPy script",
    "script.notebook": "Download as a Jupyter notebook",
    "script.help": (
        "One plain Python file of about 130 lines that trains this model the way the app does: the same "
        "network, loss, optimizer, learning rate, schedule, batch size, epochs and seed. Run it with "
        "`python {file} --data FOLDER` (a folder with MNIST's four IDX files) or without `--data` to download "
        "MNIST. Its comments explain each choice."
    ),
    "script.notebook.help": "The same program as a Jupyter notebook (.ipynb): one cell per part, run them in order.",
    "script.caption": "The same training as a plain program you can read and run at home.",
    "script.refused": "No script for these settings: {reason}",
}

ZH = {
    "script.title": "看看代码",
    "script.torch": "下载为 PyTorch 脚本",
    "script.numpy": "下载为 NumPy 脚本",
    "script.notebook": "下载为 Jupyter 笔记本",
    "script.help": (
        "一个约 130 行的普通 Python 文件，按应用中的方式训练这个模型：相同的网络、损失、优化器、学习率、"
        "学习率调度、批大小、轮数和随机种子。用 `python {file} --data 文件夹`（存放 MNIST 四个 IDX 文件的文件夹）"
        "运行，或者不加 `--data` 以自动下载 MNIST。注释会解释每一个选择。"
    ),
    "script.notebook.help": "同一个程序的 Jupyter 笔记本（.ipynb）：每部分一个单元格，按顺序运行即可。",
    "script.caption": "同样的训练写成一个普通程序，可以在家里阅读和运行。",
    "script.refused": "这些设置无法生成脚本：{reason}",
}
