// Bevy's PBR shader for a sunlit scene, without the parts it never uses by day: the
// material input (textures, normal map, flags) and the sun and ambient terms come from
// Bevy's own functions, so the image is Bevy's; the clustered point and spot lights,
// environment maps and transmission are left out. A software renderer pays for every
// instruction of a shader on every pixel, branches not taken included.
#import bevy_pbr::{
    pbr_fragment::pbr_input_from_standard_material,
    pbr_functions::{alpha_discard, main_pass_post_lighting_processing, calculate_diffuse_color, calculate_F0, calculate_F0_dielectric},
    forward_io::{VertexOutput, FragmentOutput},
    mesh_view_bindings as view_bindings,
    mesh_view_types,
    lighting,
    lighting::LAYER_BASE,
    shadows,
    ambient,
    mesh_types::MESH_FLAGS_SHADOW_RECEIVER_BIT,
    pbr_types,
}

fn sun_and_ambient(in: pbr_types::PbrInput) -> vec4<f32> {
    let base = in.material.base_color;
    let metallic = in.material.metallic;
    let perceptual_roughness = in.material.perceptual_roughness;
    let n_dot_v = max(dot(in.N, in.V), 0.0001);
    let diffuse_color = calculate_diffuse_color(
        base.rgb,
        metallic,
        in.material.specular_transmission,
        in.material.diffuse_transmission,
    );
    let f0 = calculate_F0(base.rgb, metallic, in.material.reflectance);

    var input: lighting::LightingInput;
    input.layers[LAYER_BASE].NdotV = n_dot_v;
    input.layers[LAYER_BASE].N = in.N;
    input.layers[LAYER_BASE].R = reflect(-in.V, in.N);
    input.layers[LAYER_BASE].perceptual_roughness = perceptual_roughness;
    input.layers[LAYER_BASE].roughness = lighting::perceptualRoughnessToRoughness(perceptual_roughness);
    input.P = in.world_position.xyz;
    input.V = in.V;
    input.diffuse_color = diffuse_color;
    input.metallic = metallic;
    input.F0_dielectric = calculate_F0_dielectric(in.material.reflectance);
    input.F0_metallic = base.rgb;
    input.F_ab = lighting::F_AB(perceptual_roughness, n_dot_v);

    let view = view_bindings::view;
    let view_z = dot(vec4<f32>(
        view.view_from_world[0].z,
        view.view_from_world[1].z,
        view.view_from_world[2].z,
        view.view_from_world[3].z
    ), in.world_position);
    var direct = vec3<f32>(0.0);
    for (var i = 0u; i < view_bindings::lights.n_directional_lights; i++) {
        var shadow = 1.0;
        if (in.flags & MESH_FLAGS_SHADOW_RECEIVER_BIT) != 0u
                && (view_bindings::lights.directional_lights[i].flags & mesh_view_types::DIRECTIONAL_LIGHT_FLAGS_SHADOWS_ENABLED_BIT) != 0u {
            shadow = shadows::fetch_directional_shadow(i, in.world_position, in.world_normal, view_z, in.frag_coord.xy);
        }
        direct += lighting::directional_light(i, &input, true) * shadow;
    }
    let indirect = ambient::ambient_light(in.world_position, in.N, in.V, n_dot_v, diffuse_color, f0, perceptual_roughness, in.diffuse_occlusion);
    let emissive = in.material.emissive;
    let emissive_light = emissive.rgb * base.a * mix(1.0, view.exposure, emissive.a);
    return vec4<f32>(view.exposure * (direct + indirect) + emissive_light, base.a);
}

@fragment
fn fragment(in: VertexOutput, @builtin(front_facing) is_front: bool) -> FragmentOutput {
    var pbr_input = pbr_input_from_standard_material(in, is_front);
    pbr_input.material.base_color = alpha_discard(pbr_input.material, pbr_input.material.base_color);
    var out: FragmentOutput;
    out.color = main_pass_post_lighting_processing(pbr_input, sun_and_ambient(pbr_input));
    return out;
}
