//! The seed hearing's transcript and drawn signatures, shared by the tests and the sample example.

#![allow(dead_code)]

use transcript_pdf::{Entry, Labels, SignatureBlock, Transcript};

pub const SHA256: &str = "9f2c4e1a7b3d5f60812a4c6e8b0d2f4163859a7bcde0f1a2b3c4d5e6f7081920";

/// The seed's hearing: 北京市石景山区人民法院, 2020年03月12日, about forty entries, long
/// enough for several pages, with a long entry, Latin and digits, a `\n`, and rare
/// characters in names.
pub fn seed_transcript(signatures: Vec<SignatureBlock>) -> Transcript {
    let say = |speaker: &str, text: &str| Entry {
        speaker: speaker.to_owned(),
        text: text.to_owned(),
    };
    let mut entries = vec![
        say(
            "书记员 梁1",
            "请肃静。现在宣布法庭纪律：全体人员应当服从审判长的指挥，尊重司法礼仪，遵守法庭纪律；未经许可，不得录音、录像、拍照；不得随意走动和进入审判区。",
        ),
        say("书记员 梁1", "全体起立，请审判人员入庭。"),
        say(
            "书记员 梁1",
            "报告审判长，原告、被告均已到庭，法庭准备工作就绪，请开庭。",
        ),
        say(
            "审判长 许1",
            "请坐。北京市石景山区人民法院今天依法公开开庭审理原告李3与被告赵堃买卖合同纠纷一案，案号测北京市石景山法院202003121614。现在开庭。",
        ),
        say(
            "审判长 许1",
            "首先核对当事人及诉讼代理人的身份。原告，陈述你的姓名、出生日期、民族、住址。",
        ),
        say(
            "原告 李3",
            "李3，1985年6月1日出生，汉族，住北京市石景山区鲁谷路100号。",
        ),
        say("审判长 许1", "被告。"),
        say(
            "被告 赵堃",
            "赵堃，1979年11月23日出生，汉族，住北京市海淀区中关村大街27号，北京某某科技有限公司法定代表人。",
        ),
        say(
            "被告代理人 刘龑",
            "刘龑，北京市某某律师事务所律师，特别授权代理。",
        ),
        say("审判长 许1", "各方对对方出庭人员身份有无异议？"),
        say("原告 李3", "没有异议。"),
        say("被告 赵堃", "没有。"),
        say(
            "审判长 许1",
            "经核对，各方当事人及诉讼代理人身份符合法律规定，可以参加本案诉讼。本案依法适用普通程序，由审判员许1担任审判长，与审判员王2组成合议庭，书记员梁1担任法庭记录。当事人有申请回避的权利，是否申请回避？",
        ),
        say("原告 李3", "不申请。"),
        say("被告 赵堃", "不申请。"),
        say(
            "审判长 许1",
            "下面进行法庭调查。原告陈述诉讼请求、事实和理由。",
        ),
        say(
            "原告 李3",
            "诉讼请求：一、判令被告支付货款人民币128,500元；二、判令被告支付逾期付款利息（以128,500元为基数，按照全国银行间同业拆借中心公布的一年期贷款市场报价利率LPR的1.5倍，自2019年10月1日起计算至实际付清之日止）；三、本案诉讼费用由被告负担。事实和理由：2019年7月，原告与被告签订《采购合同》，约定原告向被告供应型号为XK-2000的服务器机柜共计50台，单价2,570元，被告应于收货后30日内付清全部货款。原告已于2019年8月31日按约交付全部货物，被告签收后仅支付部分款项，剩余货款经原告多次催要，被告至今未付，故诉至法院。",
        ),
        say("审判长 许1", "被告答辩。"),
        say(
            "被告代理人 刘龑",
            "被告对收货事实无异议，但原告交付的机柜中有7台存在质量问题（编号SN-0012至SN-0018），被告已于2019年9月5日通过电子邮件 purchase@example.com 通知原告，原告未予处理。被告主张相应扣减货款，并对利息计算标准有异议。",
        ),
        say("审判长 许1", "原告，对被告所述质量问题有何意见？"),
        say(
            "原告 李3",
            "我们没有收到过那封邮件。\n另外，货物验收时被告并未提出任何异议，验收单上有被告员工的签字。",
        ),
        say("审判长 许1", "下面进行举证质证。原告提交证据。"),
        say(
            "原告 李3",
            "证据一，《采购合同》一份，证明双方存在买卖合同关系；证据二，送货单及验收单各一份，证明原告已按约交付货物；证据三，银行转账记录，证明被告已付款项为0元以外的部分。",
        ),
        say("审判长 许1", "被告质证。"),
        say(
            "被告代理人 刘龑",
            "对证据一、证据二的真实性认可，证明目的不认可；对证据三无异议。",
        ),
        say("审判长 许1", "被告有无证据提交？"),
        say(
            "被告代理人 刘龑",
            "有。电子邮件截图一份，以及第三方检测机构出具的检测报告一份，报告编号 QC-2019-0915-07。",
        ),
        say("审判长 许1", "原告质证。"),
        say(
            "原告 李3",
            "邮件截图的真实性不认可，没有原始载体；检测报告是被告单方委托，不予认可。",
        ),
        say(
            "审判员 王2",
            "被告，检测报告中提到的7台机柜现在在什么地方？",
        ),
        say("被告 赵堃", "在我们公司仓库里，一直没有使用。"),
        say("审判员 王2", "原告，你方是否申请对机柜质量进行鉴定？"),
        say("原告 李3", "需要考虑一下，庭后三日内书面答复。"),
        say(
            "审判长 许1",
            "法庭调查结束，下面进行法庭辩论。原告发表辩论意见。",
        ),
        say(
            "原告 李3",
            "被告应当按合同约定支付货款及利息，所谓质量问题没有证据证明。",
        ),
        say(
            "被告代理人 刘龑",
            "原告交付的货物存在质量问题，被告有权拒付相应部分货款；利息标准过高，请求法院依法调整。",
        ),
        say("审判长 许1", "法庭辩论结束。双方是否同意调解？"),
        say("原告 李3", "同意调解。"),
        say("被告 赵堃", "同意。"),
        say("审判长 许1", "双方当事人核对笔录无误后签字。现在休庭。"),
    ];
    entries.truncate(40);
    Transcript {
        court: "北京市石景山区人民法院".to_owned(),
        title: "庭审笔录".to_owned(),
        header: [
            ("时间", "2020年03月12日"),
            ("地点", "互联网庭审"),
            ("案由", "测北京市石景山法院202003121614"),
            ("案号", "测北京市石景山法院202003121614"),
            ("审判人员", "许1、王2"),
            ("书记员", "梁1"),
        ]
        .into_iter()
        .map(|(label, value)| (label.to_owned(), value.to_owned()))
        .collect(),
        opening_note: "（开庭审理前，书记员应当查明当事人和其他诉讼参与人是否到庭，落座后宣布法庭纪律，请审判人员入庭就座）".to_owned(),
        entries,
        version: 3,
        sha256: SHA256.to_owned(),
        signatures,
        labels: Labels::default(),
    }
}

/// Two parties' signatures, drawn as strokes on a transparent canvas.
pub fn seed_signatures() -> Vec<SignatureBlock> {
    vec![
        SignatureBlock {
            signer: "李3".to_owned(),
            role: "原告".to_owned(),
            signed_at: "2020年03月12日 17:05".to_owned(),
            sha256: SHA256.to_owned(),
            png: signature_png(600, 240, 1),
        },
        SignatureBlock {
            signer: "赵堃".to_owned(),
            role: "被告".to_owned(),
            signed_at: "2020年03月12日 17:07".to_owned(),
            sha256: SHA256.to_owned(),
            png: signature_png(480, 300, 2),
        },
    ]
}

/// A PNG of a handwriting-like scrawl: dark blue strokes on transparency, as a
/// browser canvas exports it.
pub fn signature_png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut rgba = vec![0u8; w * h * 4];
    let mut dot = |x: f32, y: f32| {
        for dy in -3i32..=3 {
            for dx in -3i32..=3 {
                if dx * dx + dy * dy > 9 {
                    continue;
                }
                let (px, py) = (x as i32 + dx, y as i32 + dy);
                if px < 0 || py < 0 || px >= width as i32 || py >= height as i32 {
                    continue;
                }
                let i = (py as usize * w + px as usize) * 4;
                rgba[i..i + 4].copy_from_slice(&[20, 30, 90, 255]);
            }
        }
    };
    let k = seed as f32;
    for step in 0..4000 {
        let t = step as f32 / 4000.0;
        let x = width as f32 * (0.08 + 0.84 * t);
        let y = height as f32
            * (0.5
                + 0.28 * (t * 6.0 * std::f32::consts::PI * (1.0 + 0.3 * k)).sin()
                + 0.1 * (t * 23.0 + k).cos());
        dot(x, y);
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&rgba).expect("png data");
    }
    out
}
